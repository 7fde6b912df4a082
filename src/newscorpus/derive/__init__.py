"""What a release derives from articles: tokens, the rows of each config, Arrow features and writers."""
