"""`python -m gate`: the same CLI as the `synapse-gate` console script."""

from gate.cli import run

if __name__ == "__main__":
    run()
