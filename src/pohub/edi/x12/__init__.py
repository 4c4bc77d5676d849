"""X12: tokenizer, envelopes, a small dictionary, validator, 997/TA1 builder and writer.

``read_interchange(data)`` tokenizes (delimiters read from ISA), splits the envelopes and validates
every transaction set; ``build_997``/``build_ta1`` answer it; ``write_interchange`` serialises.
"""
