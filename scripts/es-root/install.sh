#!/usr/bin/env bash
# Builds the `distributary-root` module (GET / and HEAD /, see RootInfoPlugin.java) against the unpacked
# Elasticsearch's own jars and installs it into its modules/. The integ-test distribution, the only 8.x
# one on Maven Central, lacks the rest-root module, and neither the module nor a fuller distribution is
# published there. Idempotent: rebuilt only when the sources change. Usage: install.sh <ES_HOME>
set -euo pipefail
es_home=$1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$es_home/modules/distributary-root"
version=$(basename "$es_home" | sed 's/^elasticsearch-//')
want="$version $(cat "$here"/src/org/distributary/esroot/*.java | sha1sum | cut -d' ' -f1)"
if [ -f "$module/.stamp" ] && [ "$(cat "$module/.stamp")" = "$want" ]; then exit 0; fi
command -v javac >/dev/null || { echo "javac (JDK 17) is needed to build the Elasticsearch root module" >&2; exit 1; }

echo "[setup] building the Elasticsearch root module (GET /)"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac --release 17 -nowarn -cp "$es_home/lib/*" -d "$build/classes" "$here"/src/org/distributary/esroot/*.java
jar cf "$build/distributary-root.jar" -C "$build/classes" .
rm -rf "$module" && mkdir -p "$module"
cp "$build/distributary-root.jar" "$module/"
cat > "$module/plugin-descriptor.properties" <<PROPS
description=GET / and HEAD / for the integ-test distribution (Distributary local stack)
version=$version
name=distributary-root
classname=org.distributary.esroot.RootInfoPlugin
java.version=17
elasticsearch.version=$version
PROPS
echo "$want" > "$module/.stamp"
