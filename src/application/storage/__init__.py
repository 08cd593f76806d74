"""Where documents are kept, checked and moved: the operators' side of the blob store."""
