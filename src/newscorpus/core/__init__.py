"""The foundation every layer builds on: the root exception, reports, atomic writes, the offset rule, the pool."""
