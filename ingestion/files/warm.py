"""Imported by the decoder forkserver: loads the decoders and runs each once so workers fork warm."""

from ingestion.files.decode import decode_bytes
from ingestion.files.fit_writer import tiny_activity

decode_bytes(tiny_activity())
decode_bytes(
    b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>'
)
decode_bytes(b"<TrainingCenterDatabase><Activities/></TrainingCenterDatabase>")
