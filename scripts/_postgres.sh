# Sourced by scripts/demo, scripts/test and scripts/bench: PostgreSQL's server programs for Label Studio's
# database (`newscorpus labelstudio serve` makes and runs the cluster in .labelstudio/postgres).
# Installs Debian's postgresql-15 only when no initdb is found; safe to run again (it then installs nothing).
if [[ -z "${NEWSCORPUS_POSTGRES_BIN:-}" ]] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null &&
    ! command -v initdb >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing PostgreSQL 15 (Debian's postgresql-15) for Label Studio's database …" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
    else
        echo "Error: Label Studio's database needs PostgreSQL's server programs (initdb, pg_ctl). Try" \
            "\`sudo apt-get install postgresql-15\`, or set NEWSCORPUS_POSTGRES_BIN to the folder holding them." >&2
        return 1
    fi
fi
