"""The host's records: exports of a period (xlsx or CSV) and the monthly report with its chart."""
