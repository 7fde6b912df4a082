"""Raw files in, articles out: decoding, the parsers of each raw format, reading a corpus, imports and exports."""
