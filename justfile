# The workbook's commands. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @just --list --unsorted

# Show the chapters, one line each
list:
    #!/usr/bin/env bash
    set -euo pipefail
    for toml in chapters/*/Cargo.toml; do
        dir=$(basename "$(dirname "$toml")")
        description=$(sed -n 's/^description = "\(.*\)"$/\1/p' "$toml")
        printf 'chapter-%-3s %-20s %s\n' "$((10#${dir%%-*}))" "$dir" "${description#*: }"
    done

# Run one chapter: `just run chapter-3` (also `chapter-03` or `3`); PORT=3001 for another port
run chapter: _cargo _browser-packages
    #!/usr/bin/env bash
    set -euo pipefail
    package=$(just _package {{ quote(chapter) }})
    exec cargo run --quiet --package "$package"

# Run the tests: every chapter's, or one chapter's (`just test 5`: its Rust, Socket.IO client and browser tests)
test chapter="": _cargo _node _browser-packages _chromium _loopback-only
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -z {{ quote(chapter) }} ]; then
        cargo test --workspace
        cargo build --workspace --bins
        # The course book: po/ko.po has every English text of the notes, translated.
        just _book-tools
        node tests/book/po.mjs check
        just _node-tests chapters/*/tests/*.test.mjs tests/node/*.test.mjs
        # Each chapter's exercise: its steps fail on the starter and pass on the chapter.
        node tests/exercises/proof.mjs
    else
        dir=$(just _dir {{ quote(chapter) }})
        package=$(just _package {{ quote(chapter) }})
        cargo test --package "$package"
        cargo build --package "$package" --bins
        shopt -s nullglob
        tests=("$dir"/tests/*.test.mjs)
        if [ ${#tests[@]} -gt 0 ]; then just _node-tests "${tests[@]}"; fi
    fi

# The Node tests (socket.io-client and Chromium), in a network namespace with nothing but
# loopback: WebRTC offers every address the machine has, and the tests talk to loopback only.
_node-tests +files:
    #!/usr/bin/env bash
    set -euo pipefail
    tests="node --test --test-concurrency=1 {{ files }}"
    if [ "$(id -u)" -eq 0 ]; then namespace=(unshare --net); else namespace=(unshare --map-root-user --net); fi
    if "${namespace[@]}" true 2>/dev/null; then
        exec "${namespace[@]}" sh -c "ip link set lo up && exec $tests"
    fi
    echo "No network namespace here (are unprivileged user namespaces turned off?):" >&2
    echo "running the Node tests on this machine's own network instead." >&2
    exec sh -c "$tests"

# Start chapter N's exercise: its lesson is taken out of the code, for you to write (`just exercise 3`)
exercise chapter: _cargo _node _browser-packages
    @node tests/exercises/exercise.mjs start {{ quote(chapter) }}

# Check your exercise with the chapter's own tests: `just check 3`, `just check 3 --watch`, `--verbose`
check chapter *options: _cargo _node _browser-packages
    @node tests/exercises/exercise.mjs check {{ quote(chapter) }} {{ options }}

# The next hint for the first step that fails (each one more precise)
hint chapter: _node _browser-packages
    @node tests/exercises/exercise.mjs hint {{ quote(chapter) }}

# The chapter as published, beside yours: your attempt is saved as a patch first
solution chapter: _node _browser-packages
    @node tests/exercises/exercise.mjs solution {{ quote(chapter) }}

# Put a chapter back as published, to start over: your attempt is saved as a patch first
reset chapter: _node _browser-packages
    @node tests/exercises/exercise.mjs reset {{ quote(chapter) }}

# Every chapter's exercise: not started, N of M steps, or done
progress: _node _browser-packages
    @node tests/exercises/exercise.mjs progress

# Rebuild and restart a chapter whenever its Rust code or templates change
watch chapter: _cargo _browser-packages
    #!/usr/bin/env bash
    set -uo pipefail
    command -v entr >/dev/null || { echo "just watch needs entr: sudo apt-get install entr (macOS: brew install entr)" >&2; exit 1; }
    dir=$(just _dir {{ quote(chapter) }}) || exit 1
    package=$(just _package {{ quote(chapter) }})
    echo "Watching $dir/src, $dir/templates and shared/: saving one restarts $package (Ctrl-C stops)."
    echo "Files in $dir/public need no restart: refresh the browser."
    while true; do
        find "$dir/src" "$dir/templates" "$dir/Cargo.toml" "$dir/askama.toml" shared/src shared/templates -type f 2>/dev/null \
            | entr -d -n -r sh -c "cargo build --quiet --package $package && exec target/debug/$package"
        # entr stops with 2 when a file is added to a watched folder: look again.
        [ $? -eq 2 ] || break
    done

# Measure chapters 3 and 6 under load, against the course's Node.js stack (several minutes)
bench *options: _cargo _node _browser-packages
    cargo build --release --package chapter-03 --package chapter-05 --package chapter-06
    cargo build --release --package workbook-tests --bin loadgen
    ulimit -n 20000 && target/release/loadgen --out notes/figures {{ options }}

# Measure the learner's loop: a cold `just run chapter-1` on a fresh clone, and edit-to-listening with `just watch`
bench-loop:
    bash tests/bench/learner-loop.sh

# The Korean edition's title (book.toml holds the English one; gettext translates the pages)
book_title_ko := "Rust로 배우는 실시간 웹: 워크북"

# The course book, served at http://localhost:3100 and rebuilt on every edit: `just book`, or `just book ko` for the Korean edition (BOOK_PORT=3200 for another port)
book language="en": _book-tools
    #!/usr/bin/env bash
    set -euo pipefail
    case {{ quote(language) }} in en|ko) ;; *) echo "The book has two editions: en and ko (not '{{ language }}')." >&2; exit 1 ;; esac
    port=${BOOK_PORT:-3100}
    echo "The course book ({{ language }}) at http://localhost:$port: it rebuilds when a note or po/ko.po changes; Ctrl-C stops."
    if [ {{ quote(language) }} = ko ]; then export MDBOOK_BOOK__TITLE={{ quote(book_title_ko) }}; fi
    MDBOOK_BOOK__LANGUAGE={{ quote(language) }} exec mdbook serve --port "$port" --dest-dir "target/book/{{ language }}"

# Build both editions of the book into target/book/en and target/book/ko; any warning fails
book-build: _book-tools
    #!/usr/bin/env bash
    set -euo pipefail
    for language in en ko; do
        if [ $language = ko ]; then export MDBOOK_BOOK__TITLE={{ quote(book_title_ko) }}; fi
        log=$(MDBOOK_BOOK__LANGUAGE=$language mdbook build --dest-dir "target/book/$language" 2>&1) || { echo "$log" >&2; exit 1; }
        if grep -iE "warn|error" <<<"$log" >&2; then echo "The $language edition built with the warnings above." >&2; exit 1; fi
        echo "target/book/$language/index.html"
    done

# The translator's loop: merge the English notes' current text into po/ko.po and list what is left to translate
book-po: _book-tools
    node tests/book/po.mjs update

# Show what changed from one chapter to another: `just diff 3 4`
diff from to:
    #!/usr/bin/env bash
    set -euo pipefail
    a=$(just _dir {{ quote(from) }})
    b=$(just _dir {{ quote(to) }})
    # Exit code 1 only means "they differ".
    git diff --no-index --color=auto -- "$a" "$b" || [ $? -eq 1 ]

# The Cargo package of a chapter given as chapter-3, chapter-03, 03 or 3
_package chapter:
    #!/usr/bin/env bash
    set -euo pipefail
    dir=$(just _dir {{ quote(chapter) }})
    sed -n 's/^name = "\(.*\)"$/\1/p' "$dir/Cargo.toml"

# The folder of a chapter given as chapter-3, chapter-03, 03 or 3
_dir chapter:
    #!/usr/bin/env bash
    set -euo pipefail
    n={{ quote(chapter) }}
    n=${n#chapter-}
    if [[ "$n" =~ ^[0-9]+$ ]]; then
        for dir in chapters/$(printf '%02d' "$((10#$n))")-*/; do
            [ -d "$dir" ] && { echo "${dir%/}"; exit 0; }
        done
    fi
    echo "There is no chapter '{{ chapter }}'. The chapters are:" >&2
    just list >&2
    exit 1

_cargo:
    @command -v cargo >/dev/null || { echo "Rust is missing: install it from https://rustup.rs, then try again." >&2; exit 1; }

_node:
    @command -v node >/dev/null || { echo "Node.js is missing: install it from https://nodejs.org (version 20 or newer), then try again." >&2; exit 1; }

# The pages' npm packages (MVP.css, socket.io-client); a chapter still starts without them
_browser-packages:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -d node_modules/mvp.css ] || [ ! -d node_modules/socket.io-client ] || [ ! -d node_modules/smol-toml ]; then
        if command -v npm >/dev/null; then
            echo "Installing the pages' npm packages (npm ci)..."
            npm ci --no-audit --no-fund
        else
            echo "Node.js is missing, so the pages will have no stylesheet and no Socket.IO client." >&2
            echo "Install Node.js from https://nodejs.org, then run: npm ci" >&2
        fi
    fi

_chromium:
    @command -v chromium >/dev/null || { echo "The browser tests need Chromium: sudo apt-get install chromium (Debian/Ubuntu), or set CHROMIUM=/path/to/chrome." >&2; [ -n "${CHROMIUM:-}" ]; }

# mdBook and its two plugins, at the versions the book is built with, and the diagram script
_book-tools: _cargo _node
    #!/usr/bin/env bash
    set -euo pipefail
    command -v msgmerge >/dev/null || { echo "The Korean edition's tools need gettext: sudo apt-get install gettext (macOS: brew install gettext)" >&2; exit 1; }
    installed=$(cargo install --list)
    for crate in mdbook@0.5.0 mdbook-mermaid@0.17.1 mdbook-i18n-helpers@0.4.0; do
        if ! grep -q "^${crate%@*} v${crate#*@}:" <<<"$installed"; then
            echo "Installing $crate from crates.io for the book (once, a few minutes)..."
            cargo install --quiet --locked --force "$crate"
        fi
    done
    # mdbook-mermaid carries mermaid's script; the book serves it, so diagrams draw offline.
    if [ ! -f target/book-assets/mermaid.min.js ]; then
        mkdir -p target/book-assets
        [ -f target/book-assets/book.toml ] || echo "[book]" > target/book-assets/book.toml
        mdbook-mermaid install target/book-assets 2>/dev/null
    fi

_loopback-only:
    @command -v unshare >/dev/null && command -v ip >/dev/null || { echo "The WebRTC tests need unshare and ip: sudo apt-get install util-linux iproute2" >&2; exit 1; }
