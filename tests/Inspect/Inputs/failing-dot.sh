#!/bin/sh
# Stands in for a Graphviz that fails (tests/Inspect/errors.test).
exit 3
