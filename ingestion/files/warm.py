"""Imported by the decoder forkserver: loads the decoders and runs each once so workers fork warm."""

from ingestion.files.decode import decode_bytes
from ingestion.files.fit_writer import tiny_activity
from ingestion.files.gadgetbridge import decode_gadgetbridge  # noqa: F401  (loads sqlite3 before the fork)
from ingestion.files.health_connect import decode_health_connect  # noqa: F401  (loads it before the fork)

decode_bytes(tiny_activity())
decode_bytes(
    b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>'
)
decode_bytes(b"<TrainingCenterDatabase><Activities/></TrainingCenterDatabase>")
decode_bytes(
    b'<HealthData locale="en"><Record type="HKQuantityTypeIdentifierHeartRate" sourceName="w" unit="count/min"'
    b' startDate="2024-01-01 00:00:00 +0000" endDate="2024-01-01 00:00:00 +0000" value="60"/></HealthData>'
)
decode_bytes(
    b'[{"dateTime" : "01/01/24 00:00:00", "value" : {"bpm" : 60, "confidence" : 2}}]',
    "heart_rate-2024-01-01.json",
)
