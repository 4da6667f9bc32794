"""Everything that turns a provider's bytes into the canonical ChainSnapshot."""
