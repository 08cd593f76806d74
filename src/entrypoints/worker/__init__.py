"""Background work: the arq worker (`undersign worker`) and the embedded runner inside `undersign serve`."""
