"""The scheduled poll of batch mode (decision 0032): seal, submit, follow the jobs."""
