#!/usr/bin/env bash
# Captures real failure logs of Nix remote builds for the explain corpus (tests/explain/lab-*.log).
#
# Everything runs in private namespaces that die with this script: a network namespace with only
# loopback (builders listen on 127.0.0.N:22 there, nothing can reach or leave the machine), a PID
# namespace (every daemon started here is killed when the script ends) and a mount namespace with
# a tmpfs over /run and bind mounts over /root, /etc/ssh, /etc/hosts, /etc/nix and /nix, so the
# real machine's files and store are never touched. Each builder is a real sshd in a nested
# mount namespace with its own /nix, /etc/nix, /root (and /etc/passwd when it needs a `nix`
# user); the client is root with a running nix-daemon, exactly as on a multi-user machine.
#
# Usage: sudo tests/explain/capture.sh [CASE...]     (default: every case)
#   NBD_CAPTURE_OUT=DIR   where the logs go (default: this directory)
# Needs: root, util-linux (unshare), iproute2, openssh-server, openssh-client, nix-bin, python3.
# The .expected files are written by hand after reading each log; this script never touches them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${NBD_CAPTURE_OUT:-$HERE}

if [[ "${NBD_CAPTURE_INNER:-}" != 1 ]]; then
    [[ $(id -u) == 0 ]] || { echo "capture.sh: needs root (namespaces, bind mounts, sshd)" >&2; exit 2; }
    for tool in unshare ip sshd ssh ssh-keygen nix-build nix-store nix-daemon nix-instantiate python3 setpriv timeout; do
        command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "capture.sh: $tool is missing" >&2; exit 2; }
    done
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    export NBD_CAPTURE_INNER=1 NBD_CAPTURE_OUT="$OUT"
    exec unshare --mount --net --pid --fork --mount-proc --propagation private "$0" "$@"
fi

# ---------------------------------------------------------------- inside the namespaces
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ip link set lo up
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/sshd
W=/run/nbdx
mkdir -p "$W"
NONCE=0

log() { echo "capture: $*" >&2; }

# ---- the client: root's ~/.ssh, /etc/ssh, /etc/hosts, /etc/nix and its own /nix
mkdir -p "$W/client/root/.ssh" "$W/client/etc-ssh" "$W/client/nix" "$W/client/etc-nix"
chmod 700 "$W/client/root" "$W/client/root/.ssh"
ssh-keygen -q -t ed25519 -N '' -C root@client -f "$W/client/root/.ssh/id_ed25519"
CLIENT_PUB=$(cat "$W/client/root/.ssh/id_ed25519.pub")
cp -a /etc/ssh/. "$W/client/etc-ssh/"
rm -f "$W/client/etc-ssh/ssh_known_hosts"
cp /etc/hosts "$W/client/hosts"
: >"$W/client/resolv.conf"
cat >"$W/client/etc-nix/nix.conf" <<'EOF'
max-jobs = 0
sandbox = false
substituters =
build-users-group = nixbld
EOF
mount --bind "$W/client/root" /root
mount --bind "$W/client/etc-ssh" /etc/ssh
mount --bind "$W/client/hosts" /etc/hosts
mount --bind "$W/client/resolv.conf" /etc/resolv.conf

cat >"$W/drv.nix" <<'EOF'
{ nonce, features ? [ ], input ? false, system ? "x86_64-linux", fail ? false }:
derivation {
  name = "explain-${nonce}";
  inherit system;
  builder = "/bin/sh";
  args = [ "-c" (if fail then "echo 'gcc -O2 -c hello.c'; echo 'hello.c:3:1: error: expected declaration specifiers' >&2; exit 2"
                else if input then "cat ${./input.txt} > $out" else "echo ok > $out") ];
  requiredSystemFeatures = features;
}
EOF
echo "an input the builder must receive" >"$W/input.txt"

# ---- builders
NEXT_IP=2
declare -A BUILDER_DIR BUILDER_IP

# builder NAME [USER] [SSHD-LINES] [NIX-CONF-LINES] [SETUP-COMMANDS]
# USER nix gets a `nix` account (uid 990) with a nix-daemon (nix-nodaemon: without); root logs in
# as root.
builder() {
    local name=$1 user=${2:-root} sshd_extra=${3:-} nix_extra=${4:-} setup=${5:-}
    local d=$W/b/$name ip=127.0.0.$NEXT_IP
    NEXT_IP=$((NEXT_IP + 1))
    BUILDER_DIR[$name]=$d
    BUILDER_IP[$name]=$ip
    mkdir -p "$d/nix" "$d/etc-nix" "$d/root/.ssh" "$d/home/.ssh"
    chmod 700 "$d/root" "$d/root/.ssh"
    ssh-keygen -q -t ed25519 -N '' -C "host@$name" -f "$d/host_key"
    {
        printf '%s\n' "$sshd_extra"
        printf 'ListenAddress %s\nPort 22\nHostKey %s/host_key\nPidFile %s/sshd.pid\n' "$ip" "$d" "$d"
        printf 'UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nLogLevel VERBOSE\n'
    } >"$d/sshd_config"
    {
        printf 'sandbox = false\nsubstituters =\nbuild-users-group = nixbld\n'
        printf '%s\n' "$nix_extra"
        grep -q '^trusted-users' <<<"$nix_extra" || printf 'trusted-users = root nix\n'
    } >"$d/etc-nix/nix.conf"
    echo "$CLIENT_PUB" >"$d/root/.ssh/authorized_keys"
    local binds="mount --bind $d/nix /nix && mount --bind $d/etc-nix /etc/nix && mount --bind $d/root /root"
    local daemon=""
    if [[ $user == nix* ]]; then
        cp /etc/passwd "$d/passwd"
        cp /etc/group "$d/group"
        echo "nix:x:990:990:builder:$d/home:/bin/bash" >>"$d/passwd"
        echo "nix:x:990:" >>"$d/group"
        echo "$CLIENT_PUB" >"$d/home/.ssh/authorized_keys"
        chown -R 990:990 "$d/home"
        chmod 755 "$d/home"
        chmod 700 "$d/home/.ssh"
        binds="$binds && mount --bind $d/passwd /etc/passwd && mount --bind $d/group /etc/group"
        [[ $user == nix ]] && daemon="(nix-daemon >$d/daemon.log 2>&1 &) &&"
        # A multi-user builder whose daemon has stopped: initialised store, stale socket.
        [[ $user == nix-nodaemon ]] && daemon="(nix-daemon & p=\$!; sleep 1; kill -9 \$p) >$d/daemon.log 2>&1;"
    fi
    (cd "$d" && eval "$setup")
    unshare --mount --propagation private sh -c "$binds && $daemon exec /usr/sbin/sshd -D -e -f $d/sshd_config" \
        >"$d/sshd.log" 2>&1 &
    echo "$ip $name" >>/etc/hosts
    for _ in $(seq 50); do
        [[ -s $d/sshd.pid ]] && break
        sleep 0.1
    done
    # nix-store --serve as a non-root user needs the builder's daemon up.
    [[ $user == nix ]] && sleep 0.5
    return 0
}

host_pub() { cut -d' ' -f1,2 "${BUILDER_DIR[$1]}/host_key.pub"; }
pin() { base64 -w0 <"${BUILDER_DIR[$1]}/host_key.pub"; }
know() { echo "$1 $(host_pub "${2:-$1}")" >>/root/.ssh/known_hosts; }
alias_host() { echo "${BUILDER_IP[$2]} $1" >>/etc/hosts; }

# ---- the client's daemon
DAEMON_PID=""
start_daemon() {
    [[ -n $DAEMON_PID ]] && stop_daemon
    mkdir -p "$W/client/nix"
    env "$@" "$(command -v nix-daemon)" >>"$W/client/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 50); do
        [[ -S /nix/var/nix/daemon-socket/socket ]] && return 0
        sleep 0.1
    done
    log "the client's nix-daemon did not start"
}
stop_daemon() {
    [[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
    rm -f /nix/var/nix/daemon-socket/socket
}

# ---- running a case
mark() { stat -c %s "$1" 2>/dev/null || echo 0; }
since() { tail -c +$(($2 + 1)) "$1"; }

# nixbuild CASE MACHINES-LINE [nix-build args...]: the real `nix-build` output, as a user sees it.
nixbuild() {
    local case=$1 line=$2
    shift 2
    NONCE=$((NONCE + 1))
    log "$case"
    NIX_REMOTE=daemon timeout 60 nix-build -j0 --no-out-link --option builders "$line" \
        --argstr nonce "$NONCE-$RANDOM" "$@" "$W/drv.nix" >"$OUT/lab-$case.log" 2>&1 || true
}

# run CASE COMMAND...: any command's output.
run() {
    local case=$1
    shift
    log "$case"
    timeout 60 "$@" >"$OUT/lab-$case.log" 2>&1 || true
}

# with_log CASE FILE MARK TITLE: append what FILE gained since MARK, the way a user pastes a journal.
with_log() {
    { echo "# $4"; since "$2" "$3"; } >>"$OUT/lab-$1.log"
}

key() { echo "/root/.ssh/id_ed25519"; }
wanted() { [[ ${#SELECTED[@]} == 0 ]] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }
SELECTED=("$@")

# ---------------------------------------------------------------- set up the world
builder healthy
builder no-key root "" "" ': > root/.ssh/authorized_keys'
builder root-no root "PermitRootLogin no"
builder pubkey-off root "PubkeyAuthentication no"
builder allow-users root "AllowUsers somebody-else"
builder bad-modes root "" "" 'chmod 666 root/.ssh/authorized_keys'
builder no-nix-path root "PermitUserEnvironment yes" "" 'echo PATH=/nonexistent > root/.ssh/environment'
builder nologin nix "" "" 'sed -i "s|^nix:.*|nix:x:990:990:builder:$PWD/home:/usr/sbin/nologin|" passwd'
builder untrusted nix "" "trusted-users = root"
builder not-allowed nix "" "allowed-users = root"
builder noisy nix "" "" 'echo "echo Welcome to the build farm" > home/.bashrc; chown 990:990 home/.bashrc'
builder no-daemon nix-nodaemon

for b in healthy no-key root-no pubkey-off allow-users bad-modes no-nix-path nologin untrusted not-allowed noisy no-daemon; do know "$b"; done
alias_host unknown-key healthy
alias_host changed-key healthy
alias_host revoked-key healthy
alias_host pinned-wrong healthy
echo "changed-key $(ssh-keygen -q -t ed25519 -N '' -f "$W/other_key" <<<y >/dev/null; cut -d' ' -f1,2 "$W/other_key.pub")" >>/root/.ssh/known_hosts
echo "@revoked revoked-key $(host_pub healthy)" >>/root/.ssh/known_hosts
know revoked-key healthy
echo "127.0.0.30 no-sshd" >>/etc/hosts
echo "127.0.0.31 not-ssh" >>/etc/hosts
echo "10.255.255.1 unreachable" >>/etc/hosts
know no-sshd healthy
know not-ssh healthy
# A listener that answers like a web server, then hangs up.
python3 - <<'EOF' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.31", 22)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); c.close()
EOF

# The client's store and daemon.
mount --bind "$W/client/nix" /nix
mount --bind "$W/client/etc-nix" /etc/nix
start_daemon

M="x86_64-linux $(key) 1 1 - -"

# ---------------------------------------------------------------- the cases
wanted healthy-ssh && nixbuild healthy-ssh "ssh://root@healthy $M -"
wanted healthy-ssh-ng && nixbuild healthy-ssh-ng "ssh-ng://root@healthy $M -"
wanted host-key-unknown-ssh && nixbuild host-key-unknown-ssh "ssh://root@unknown-key $M -"
if wanted host-key-unknown-ssh-ng; then
    m=$(mark "$W/client/daemon.log")
    nixbuild host-key-unknown-ssh-ng "ssh-ng://root@unknown-key $M -"
    cp "$OUT/lab-host-key-unknown-ssh-ng.log" "$OUT/lab-host-key-unknown-ssh-ng-daemon-log.log"
    with_log host-key-unknown-ssh-ng-daemon-log "$W/client/daemon.log" "$m" "journalctl -u nix-daemon (the client's daemon: ssh's stderr for ssh-ng:// goes here in Nix 2.8)"
fi
wanted host-key-changed-ssh && nixbuild host-key-changed-ssh "ssh://root@changed-key $M -"
wanted host-key-revoked-ssh && nixbuild host-key-revoked-ssh "ssh://root@revoked-key $M -"
wanted host-key-pinned-wrong-ssh && nixbuild host-key-pinned-wrong-ssh "ssh://root@pinned-wrong $M $(base64 -w0 <"$W/other_key.pub")"
wanted no-authorized-key-ssh && nixbuild no-authorized-key-ssh "ssh://root@no-key $M -"
if wanted no-authorized-key-ssh-ng; then
    m=$(mark "$W/client/daemon.log")
    nixbuild no-authorized-key-ssh-ng "ssh-ng://root@no-key $M -"
    cp "$OUT/lab-no-authorized-key-ssh-ng.log" "$OUT/lab-no-authorized-key-ssh-ng-daemon-log.log"
    with_log no-authorized-key-ssh-ng-daemon-log "$W/client/daemon.log" "$m" "journalctl -u nix-daemon (the client's daemon)"
fi
wanted root-login-no-ssh && nixbuild root-login-no-ssh "ssh://root@root-no $M -"
if wanted root-login-no-sshd-log; then
    m=$(mark "${BUILDER_DIR[root-no]}/sshd.log")
    nixbuild root-login-no-sshd-log "ssh://root@root-no $M -"
    with_log root-login-no-sshd-log "${BUILDER_DIR[root-no]}/sshd.log" "$m" "journalctl -u sshd (on the builder)"
fi
wanted pubkey-off-ssh && nixbuild pubkey-off-ssh "ssh://root@pubkey-off $M -"
if wanted allow-users-sshd-log; then
    m=$(mark "${BUILDER_DIR[allow-users]}/sshd.log")
    nixbuild allow-users-sshd-log "ssh://root@allow-users $M -"
    with_log allow-users-sshd-log "${BUILDER_DIR[allow-users]}/sshd.log" "$m" "journalctl -u sshd (on the builder)"
fi
if wanted authorized-keys-modes-sshd-log; then
    m=$(mark "${BUILDER_DIR[bad-modes]}/sshd.log")
    nixbuild authorized-keys-modes-sshd-log "ssh://root@bad-modes $M -"
    with_log authorized-keys-modes-sshd-log "${BUILDER_DIR[bad-modes]}/sshd.log" "$m" "journalctl -u sshd (on the builder)"
fi
wanted connection-refused-ssh && nixbuild connection-refused-ssh "ssh://root@no-sshd $M -"
wanted unreachable-ssh && nixbuild unreachable-ssh "ssh://root@unreachable $M -"
wanted dns-failure-ssh && nixbuild dns-failure-ssh "ssh://root@build01.example.invalid $M -"
wanted alias-ssh && nixbuild alias-ssh "ssh://root@mybuilder $M -"
# A nix.buildMachines hostName that already says ssh:// (NixOS/nixpkgs#229542).
wanted scheme-written-twice-ssh && nixbuild scheme-written-twice-ssh "ssh://ssh://root@healthy $M -"
wanted not-ssh-ssh && nixbuild not-ssh-ssh "ssh://root@not-ssh $M -"
wanted nix-not-found-ssh && nixbuild nix-not-found-ssh "ssh://root@no-nix-path $M -"
if wanted nix-not-found-ssh-ng; then
    m=$(mark "$W/client/daemon.log")
    nixbuild nix-not-found-ssh-ng "ssh-ng://root@no-nix-path $M -"
    cp "$OUT/lab-nix-not-found-ssh-ng.log" "$OUT/lab-nix-not-found-ssh-ng-daemon-log.log"
    with_log nix-not-found-ssh-ng-daemon-log "$W/client/daemon.log" "$m" "journalctl -u nix-daemon (the client's daemon)"
fi
wanted nologin-ssh && nixbuild nologin-ssh "ssh://nix@nologin $M -"
wanted nologin-ssh-ng && nixbuild nologin-ssh-ng "ssh-ng://nix@nologin $M -"
wanted untrusted-ssh && nixbuild untrusted-ssh "ssh://nix@untrusted $M -"
wanted untrusted-ssh-ng && nixbuild untrusted-ssh-ng "ssh-ng://nix@untrusted $M -"
wanted untrusted-input-ssh && nixbuild untrusted-input-ssh "ssh://nix@untrusted $M -" --arg input true
wanted untrusted-input-ssh-ng && nixbuild untrusted-input-ssh-ng "ssh-ng://nix@untrusted $M -" --arg input true
wanted remote-daemon-down-ssh && nixbuild remote-daemon-down-ssh "ssh://nix@no-daemon $M -"
wanted allowed-users-ssh && nixbuild allowed-users-ssh "ssh://nix@not-allowed $M -"
if wanted allowed-users-daemon-log; then
    m=$(mark "${BUILDER_DIR[not-allowed]}/daemon.log")
    nixbuild allowed-users-daemon-log "ssh://nix@not-allowed $M -"
    with_log allowed-users-daemon-log "${BUILDER_DIR[not-allowed]}/daemon.log" "$m" "journalctl -u nix-daemon (on the builder)"
fi
wanted shell-noise-ssh && nixbuild shell-noise-ssh "ssh://nix@noisy $M -"
wanted no-builders && nixbuild no-builders ""
wanted two-builders && nixbuild two-builders "ssh://root@unknown-key $M -; ssh://root@no-key $M -"
if wanted cascade-local-fallback; then
    # max-jobs 1: after the builder fails Nix tries to build an aarch64-linux derivation here.
    NONCE=$((NONCE + 1))
    log cascade-local-fallback
    NIX_REMOTE=daemon timeout 60 nix-build -j1 --no-out-link --option builders "ssh://root@unknown-key aarch64-linux $(key) 1 1 - - -" \
        --argstr nonce "$NONCE-$RANDOM" --argstr system aarch64-linux "$W/drv.nix" >"$OUT/lab-cascade-local-fallback.log" 2>&1 || true
fi
wanted no-machine-for-system && nixbuild no-machine-for-system "ssh://root@healthy aarch64-linux $(key) 1 1 - - -"
wanted no-machine-for-features && nixbuild no-machine-for-features "ssh://root@healthy $M -" --arg features '[ "kvm" ]'
wanted machines-parse-error && nixbuild machines-parse-error "ssh://root@healthy x86_64-linux $(key) fast 1 - - -"
wanted host-key-malformed && nixbuild host-key-malformed "ssh://root@healthy $M ssh-ed25519:$(host_pub healthy | cut -d' ' -f2)"
wanted identity-missing && nixbuild identity-missing "ssh://root@no-key x86_64-linux /root/.ssh/id_missing 1 1 - - -"
if wanted key-permissions; then
    cp /root/.ssh/id_ed25519 /root/.ssh/id_open && chmod 644 /root/.ssh/id_open
    nixbuild key-permissions "ssh://root@healthy x86_64-linux /root/.ssh/id_open 1 1 - - -"
fi
if wanted ssh-config-permissions; then
    echo "Host *" >/root/.ssh/config && chmod 666 /root/.ssh/config
    nixbuild ssh-config-permissions "ssh://root@healthy $M -"
    rm -f /root/.ssh/config
fi
if wanted passphrase-key || wanted passphrase-key-verbose; then
    [[ -f /root/.ssh/id_locked ]] || ssh-keygen -q -t ed25519 -N 'secret words' -C locked -f /root/.ssh/id_locked
    cat /root/.ssh/id_locked.pub >>"${BUILDER_DIR[healthy]}/root/.ssh/authorized_keys"
    wanted passphrase-key && nixbuild passphrase-key "ssh://root@healthy x86_64-linux /root/.ssh/id_locked 1 1 - - -"
    if wanted passphrase-key-verbose; then
        start_daemon NIX_SSHOPTS=-v
        nixbuild passphrase-key-verbose "ssh://root@healthy x86_64-linux /root/.ssh/id_locked 1 1 - - -"
        start_daemon
    fi
fi
if wanted ssh-missing; then
    start_daemon PATH=/nonexistent
    nixbuild ssh-missing "ssh://root@healthy $M -"
    start_daemon
fi
if wanted local-daemon-down; then
    stop_daemon
    nixbuild local-daemon-down "ssh://root@healthy $M -"
    start_daemon
fi
wanted nix-command-disabled && run nix-command-disabled nix store ping --store ssh://root@healthy
wanted store-ping-host-key-unknown && run store-ping-host-key-unknown nix --extra-experimental-features nix-command store ping --store ssh://root@unknown-key
wanted store-ping-ssh-ng-no-key && run store-ping-ssh-ng-no-key nix --extra-experimental-features nix-command store ping --store ssh-ng://root@no-key
wanted unknown-setting && NIX_CONFIG='trusted-user = root' nixbuild unknown-setting "ssh://root@healthy $M -"
wanted nixconf-syntax-error && NIX_CONFIG='this line is not a setting' nixbuild nixconf-syntax-error "ssh://root@healthy $M -"
if wanted build-users-group-missing; then
    NONCE=$((NONCE + 1))
    run build-users-group-missing env NIX_REMOTE=local NIX_CONFIG='build-users-group = nosuchgroup' \
        nix-build -j1 --no-out-link --argstr nonce "$NONCE-$RANDOM" "$W/drv.nix"
fi
if wanted untrusted-client-builders; then
    chmod 755 "$W" && chmod 644 "$W/drv.nix" "$W/input.txt"
    NONCE=$((NONCE + 1))
    m=$(mark "$W/client/daemon.log")
    run untrusted-client-builders setpriv --reuid=65534 --regid=65534 --clear-groups \
        env HOME=/tmp NIX_REMOTE=daemon nix-build -j0 --no-out-link --builders "ssh://root@healthy $M -" \
        --argstr nonce "$NONCE-$RANDOM" "$W/drv.nix"
    # The daemon, not the client, says why the builders were dropped.
    with_log untrusted-client-builders "$W/client/daemon.log" "$m" "journalctl -u nix-daemon"
fi
if wanted single-user-store; then
    NONCE=$((NONCE + 1))
    run single-user-store setpriv --reuid=65534 --regid=65534 --clear-groups \
        env HOME=/tmp NIX_REMOTE=local nix-build --no-out-link --argstr nonce "$NONCE-$RANDOM" "$W/drv.nix"
fi
if wanted unrelated-build-failure; then
    # A package that fails to compile, built locally: nothing to do with remote builds.
    NONCE=$((NONCE + 1))
    log unrelated-build-failure
    NIX_REMOTE=daemon timeout 60 nix-build -j1 --no-out-link --option builders "" --arg fail true \
        --argstr nonce "$NONCE-$RANDOM" "$W/drv.nix" >"$OUT/lab-unrelated-build-failure.log" 2>&1 || true
fi
wanted lib-not-in-scope && run lib-not-in-scope nix-instantiate --eval -E \
    '({ config, pkgs, ... }: { services.openssh.enable = lib.mkDefault true; }) { config = { }; pkgs = { }; }'

stop_daemon
log "logs are in $OUT/lab-*.log"
