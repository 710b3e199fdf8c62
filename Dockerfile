# makerline's image: the service, orchestrator, board and agent (target `makerline`),
# and the same with OctoPrint for a virtual printer (target `octoprint`).
# docker compose builds both; see docker-compose.yml.
FROM python:3.11-slim-bookworm AS makerline

# PrusaSlicer slices the plates; gcc builds OctoPrint's netifaces in the other target.
RUN apt-get update \
    && apt-get install -y --no-install-recommends prusa-slicer gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MAKERLINE_HOST=0.0.0.0 \
    MAKERLINE_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY orchestrator orchestrator
COPY printers printers
COPY dashboard dashboard
COPY models models
# Editable: the service reads models/ and its migrations beside its code, in /app.
RUN pip install -e .

# Never root: the service, OctoPrint and the agent all run as `makerline`.
RUN useradd --create-home --uid 1000 makerline \
    && mkdir -p /data /broker-auth /agent /octoprint \
    && chown makerline:makerline /data /broker-auth /agent /octoprint
USER makerline
EXPOSE 8000 8501
CMD ["makerline", "serve"]


FROM makerline AS octoprint
USER root
RUN pip install "OctoPrint==1.11.8"
USER makerline
EXPOSE 5000
CMD ["makerline", "virtual-octoprint", "--basedir", "/octoprint", "--host", "0.0.0.0"]
