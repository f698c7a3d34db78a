# The verbs a person types. Every target creates the virtual environment first if it is missing,
# so each one works by itself on a fresh machine that has Python 3.10+ and make.
#
#   make test        run the pytest suite and execute every notebook with nbval (quick mode)
#   make lab         open JupyterLab on notebooks/ (as a user or as root; LAB_ARGS="--ip=0.0.0.0" ...)
#   make notebooks   re-execute every notebook in place (full runs), refreshing committed outputs
#   make data        fetch the full public datasets (CIFAR-10, MNIST) into datasets/
#   make bench       time dlscratch against PyTorch on the CPU
#   make book        build the course website (every notebook with its outputs) into build/book/
#   make book-serve  build it and serve it on http://localhost:8000/ (BOOK_PORT=...)
#   make student     write the students' version (solutions stubbed) into build/student/, a git repo
#   make release-check  release with every exercise solved and run that release's own tests
#   make grade SUBMISSION=path/to/student/repo   grade a submission, per exercise, sandboxed
#   make grade SUBMISSIONS=dir/   grade a class (one folder per student) into build/grades/
#   make clean       remove the virtual environment and build outputs

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# The torch requirement used by `make bench`; pick the CPU build for your platform.
TORCH  ?= torch==2.13.0
# `make bench` times numpy's OpenBLAS with the kernels and cache sizes OpenBLAS picks for this CPU,
# as torch picks its own: an OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE inherited from the environment
# is dropped. To time other kernels say so here, e.g. make bench BENCH_ENV=OPENBLAS_CORETYPE=Haswell
BENCH_ENV ?=
BENCH  := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_ENV) $(PY)
# Options passed on to JupyterLab by `make lab`, e.g. LAB_ARGS="--ip=0.0.0.0 --port=9000".
LAB_ARGS ?=
# Options passed on to the grader by `make grade`, e.g. GRADE_ARGS="--exercise affine relu".
GRADE_ARGS ?=

# The port `make book-serve` listens on (on this machine's loopback address only).
BOOK_PORT ?= 8000

.PHONY: install test lab notebooks data bench book book-serve student release-check grade instructor-only clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "dlscratch needs Python 3.10 or newer; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

# Quick mode (DLSCRATCH_QUICK=1) shortens the notebooks' training runs; every check still runs.
# The tests run in one worker per core (pytest-xdist; a notebook's cells stay together in one
# worker), each with one BLAS thread: on 2 cores that takes half as long as one process whose
# BLAS threads would compete with the other worker's.
TEST_WORKERS ?= auto
ONE_BLAS_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# DLSCRATCH_PROGRESS=text: a training cell sends one line per run, not a widget update every 0.1 s;
# nbval reads a cell's output only after it has run and waits 5 s per message, and a flood of
# widget messages can overflow the kernel's output queue and lose the last one (a false failure).
test: install
	DLSCRATCH_QUICK=1 DLSCRATCH_PROGRESS=text $(ONE_BLAS_THREAD) $(PY) -m pytest tests notebooks --nbval-lax \
		-n $(TEST_WORKERS) --dist loadscope --durations=10

lab: install
	$(PY) tools/lab.py $(LAB_ARGS)

notebooks: install
	cd notebooks && for nb in [0-9]*.ipynb; do \
		echo "executing $$nb"; \
		DLSCRATCH_QUICK=0 DLSCRATCH_PROGRESS=text ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; \
	done

data: install
	$(PY) datasets/fetch.py

bench: install
	$(PIP) install --quiet '$(TORCH)' -e '.[bench]'
	$(BENCH) benchmarks/bench_mlp.py
	$(BENCH) benchmarks/bench_conv.py
	$(BENCH) benchmarks/bench_lstm.py
	$(BENCH) benchmarks/bench_word2vec.py
	$(BENCH) benchmarks/bench_transformer.py
	$(BENCH) benchmarks/bench_models.py
	$(BENCH) benchmarks/bench_scaling.py
	$(PY) benchmarks/report.py

BOOK_STAMP := $(VENV)/.installed-book
$(BOOK_STAMP): $(STAMP) pyproject.toml
	PYTHONWARNINGS="ignore:Editable installation" $(PIP) install --quiet -e '.[dev,book]'
	touch $(BOOK_STAMP)

book: $(BOOK_STAMP)
	@test -d book || { echo "make book builds the website of the solved course, from the instructors' repository"; exit 2; }
	$(PY) tools/book.py

book-serve: book
	@echo "serving build/book/ on http://localhost:$(BOOK_PORT)/ (Ctrl-C stops it)"
	$(PY) -m http.server $(BOOK_PORT) --bind 127.0.0.1 --directory build/book

instructor-only:
	@test -d assignment || { echo "make student and make grade are instructors' commands"; exit 2; }

student: install instructor-only
	$(PY) -m assignment.release --dest build/student

release-check: install instructor-only
	DLSCRATCH_CHECK_RELEASE=1 $(ONE_BLAS_THREAD) $(PY) -m pytest -p no:cacheprovider tests/test_assignment.py::test_a_solved_release_passes_its_own_make_test

grade: install instructor-only
	@test -n "$(SUBMISSION)$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSION=path/to/student/repo, or SUBMISSIONS=dir/ for a class"; exit 2; }
	@if [ -n "$(SUBMISSIONS)" ]; then \
		$(PY) -m assignment.grade_class "$(SUBMISSIONS)" --out build/grades $(GRADE_ARGS); \
	else \
		$(PY) -m assignment.grade "$(SUBMISSION)" --json build/grades.json $(GRADE_ARGS); \
	fi

clean:
	rm -rf $(VENV) build .pytest_cache
