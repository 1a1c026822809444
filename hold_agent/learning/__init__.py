"""Offline, never imported by the service: the detection corpus, the training that turns it
into core/detection/model.json.gz, and the export of real calls' lines for labelling. These
read and write files and talk HTTP; the detector they train (core/detection/) does neither."""
