"""`python -m grader.instructor.class_report DIR`: rebuild DIR's class report."""

import sys

from grader.instructor.class_report import main

sys.exit(main())
