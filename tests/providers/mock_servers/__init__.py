"""Local stand-ins for provider APIs: real HTTP servers on 127.0.0.1 (threaded http.server).

Importable from tests (`from .mock_servers.strava import StravaMock`) and from benchmarks
(`from tests.providers.mock_servers.strava import StravaMock`, repo root on sys.path).
"""
