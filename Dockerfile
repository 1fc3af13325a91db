# The synapse-gate container action (action.yml: runs.using docker). The runner sets the working
# directory to the workspace and passes inputs as INPUT_* variables, so there is no WORKDIR and no
# USER here (GitHub's rules for Docker actions: the runner mounts the workspace for root).
FROM python:3.13.7-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Runtime dependencies, pinned (with their own dependencies) so that the image is reproducible.
RUN pip install --no-cache-dir \
      PyYAML==6.0.3 \
      jsonschema==4.26.0 \
      jsonschema-specifications==2025.9.1 \
      referencing==0.37.0 \
      rpds-py==0.30.0 \
      attrs==26.1.0 \
      requests==2.34.2 \
      urllib3==2.7.0 \
      idna==3.13 \
      charset-normalizer==3.4.7 \
      certifi==2026.5.20 \
      click==8.4.0

COPY pyproject.toml README.md /opt/synapse-gate/
COPY gate /opt/synapse-gate/gate
RUN pip install --no-cache-dir --no-deps /opt/synapse-gate \
    && python -c "import gate.action"

# -I (isolated mode): the workspace, which is the working directory, is never on sys.path, so a
# repository's own `gate` package cannot shadow ours.
ENTRYPOINT ["python", "-I", "-m", "gate.action"]
