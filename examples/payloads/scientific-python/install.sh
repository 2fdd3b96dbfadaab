#!/bin/sh
# Runs in the image build, after requirements.txt is installed; reads only this folder.
set -eu
python -m ipykernel install --sys-prefix --name python3 --display-name "Scientific Python"
