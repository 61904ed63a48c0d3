# shellcheck shell=bash
# The scripts' tmux driver, sourced by scripts/screenshots.sh and the benchmarks: yun in a
# detached tmux server of its own (a private -L socket), a pane of a given size running a
# clean bash, keys sent to it, its screen polled until some text shows, and captures. The
# Rust tests have their own driver (tests/tmux/mod.rs) doing the same, with assertions.
#
#   td_start COLS ROWS STATE_DIR CONFIG_DIR HOME   a new server and pane; waits for the prompt
#   td_yun YUN ARG...             runs YUN ARG... in the pane (from a script under sh)
#   td_yun_script YUN ARG...      only writes that script and prints its path
#   td_run SCRIPT                 runs a script td_yun_script wrote
#   td_keys KEY...                tmux key names: Enter, Escape, C-d, G, …
#   td_type TEXT                  literal text
#   td_escape                     Escape alone, then a pause so it is not read as Alt+key
#   td_wait_for TEXT...           until the screen shows every TEXT
#   td_wait_match REGEX           until a line of the screen matches REGEX (grep -E)
#   td_wait_stable                until the screen (with colours) stops changing
#   td_capture [OPTION...]        the screen; options go to capture-pane (-e for colours)
#   td_yun_pid                    the pid of the yun running in the pane
#   td_stop                       ends the server and removes its socket
#
# TD_TIMEOUT (seconds, default 15) bounds every wait; TD_POLL (seconds, default 0.05) is the
# pause between two looks at the screen (0 for a busy wait that times start-up). A wait that
# times out prints the last screen and exits the script.

: "${TD_TIMEOUT:=15}"
: "${TD_POLL:=0.05}"
TD_PROMPT='TD-READY$'
TD_SERVERS=0
TD_SOCKET=""
TD_SCRIPT_DIR=""

td_die() {
    echo "tmux-driver: $*" >&2
    exit 1
}

td_tmux() {
    [[ -n "$TD_SOCKET" ]] || td_die "no tmux server (call td_start first)"
    tmux -u -L "$TD_SOCKET" "$@"
}

# Quotes one word for sh.
td_quote() {
    printf "'%s'" "${1//\'/\'\\\'\'}"
}

td_start() {
    local cols=$1 rows=$2 state=$3 config=$4 home=$5
    command -v tmux >/dev/null || td_die "tmux not found (scripts/deps.sh installs it)"
    td_stop
    TD_SERVERS=$((TD_SERVERS + 1))
    TD_SOCKET="yun-td-$$-$TD_SERVERS"
    TD_SCRIPT_DIR=$state
    mkdir -p "$state" "$config" "$home"
    td_tmux -f /dev/null new-session -d -s td -x "$cols" -y "$rows" \
        "env -i HOME=$(td_quote "$home") PATH=$(td_quote "$PATH") TERM=tmux-256color \
         LANG=C.UTF-8 YUN_STATE_DIR=$(td_quote "$state") YUN_CONFIG_DIR=$(td_quote "$config") \
         PS1=$(td_quote "$TD_PROMPT ") bash --norc --noprofile"
    # Keep the pane's size exactly as asked, whatever clients come and go.
    td_tmux set-option -g window-size manual
    td_wait_for "$TD_PROMPT"
}

# yun runs from a small script under sh, as in the Rust driver: the interactive bash would put
# the terminal's modes back itself if yun died of a signal. The script execs yun, so the sh
# child of the pane's shell is yun itself (td_yun_pid).
td_yun() {
    td_run "$(td_yun_script "$@")"
}

# Writes the script that runs YUN ARG... and prints its path (a benchmark prepares it before
# its clock starts, then calls td_run).
td_yun_script() {
    local script word line="exec"
    for word in "$@"; do
        line+=" $(td_quote "$word")"
    done
    script=$(mktemp "$TD_SCRIPT_DIR/run-yun-XXXXXX.sh")
    printf '%s\n' "$line" >"$script"
    echo "$script"
}

# Runs a script from td_yun_script in the pane: one send-keys, the line and Enter.
td_run() {
    td_keys "sh $(td_quote "$1")" Enter
}

td_keys() { td_tmux send-keys -t td "$@"; }

td_type() { td_tmux send-keys -t td -l "$1"; }

td_escape() {
    td_keys Escape
    sleep 0.1
}

td_capture() { td_tmux capture-pane -p -t td "$@"; }

# Polls until the command after WHAT, given the screen as its last argument, succeeds.
td_poll() {
    local what=$1 deadline=$((SECONDS + TD_TIMEOUT)) screen
    shift
    while :; do
        screen=$(td_capture)
        "$@" "$screen" && return 0
        if ((SECONDS >= deadline)); then
            printf '%s\n' "$screen" >&2
            td_die "timed out after $TD_TIMEOUT s waiting for $what"
        fi
        [[ "$TD_POLL" == 0 ]] || sleep "$TD_POLL"
    done
}

td_has_all() {
    local screen=${!#} text
    for text in "${@:1:$#-1}"; do
        [[ "$screen" == *"$text"* ]] || return 1
    done
}

td_wait_for() { td_poll "'$*'" td_has_all "$@"; }

td_matches() { grep -qE -- "$1" <<<"$2"; }

td_wait_match() { td_poll "/$1/" td_matches "$1"; }

td_wait_stable() {
    local deadline=$((SECONDS + TD_TIMEOUT)) last now same=0
    last=$(td_capture -e)
    while ((same < 6)); do
        sleep 0.05
        now=$(td_capture -e)
        if [[ "$now" == "$last" ]]; then
            same=$((same + 1))
        else
            same=0
            last=$now
        fi
        ((SECONDS < deadline)) || td_die "the screen never settled"
    done
}

td_yun_pid() {
    local shell_pid pid
    shell_pid=$(td_tmux display-message -p -t td '#{pane_pid}')
    pid=$(pgrep -P "$shell_pid" | head -n 1)
    [[ -n "$pid" ]] || td_die "no yun running in the pane"
    echo "$pid"
}

td_stop() {
    local path
    [[ -n "$TD_SOCKET" ]] || return 0
    path=$(tmux -L "$TD_SOCKET" display-message -p '#{socket_path}' 2>/dev/null) || path=""
    tmux -L "$TD_SOCKET" kill-server 2>/dev/null || true
    if [[ -n "$path" && -S "$path" ]]; then
        rm -f "$path"
    fi
    TD_SOCKET=""
}
