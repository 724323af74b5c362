#!/usr/bin/env bash
# The PCC end-to-end test with two workers: connections are owned by one worker each, and
# packets the device gives the other worker are handed over (design invariant 2).
PCC_WORKERS=2 exec bash "$(dirname "$0")/pcc.sh"
