"""DL: tools and files downloaded or installed with no pin or no verification."""
