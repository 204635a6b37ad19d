"""``python -m iam_audit``."""

from iam_audit.cli import main

if __name__ == "__main__":
    main()
