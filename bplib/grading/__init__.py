"""Exercises, self-checks and the instructor's grader (``bplib-grade``).

* :mod:`.manifest` — which exercise lives in which notebook cell, its functions and points;
* :mod:`.generate` — writes exercises/ from solutions/ (``python -m bplib.grading.generate``);
* :mod:`.selfcheck` — public test cases, run in the student's own kernel (not the grade);
* :mod:`.cli` — the grader: reads returned notebooks (:mod:`.notebooks`), runs each exercise
  cell in a fresh worker process (:mod:`.worker`, started by :mod:`.runner`) inside the
  sandbox (:mod:`.sandbox`: the security boundary, with the copied helpers of
  :mod:`.helpers`), compares the answers with bplib's reference in its own process
  (:mod:`.cases`), writes the gradebook and the feedback.

See docs/grading.md for the workflow and the threat model.
"""
