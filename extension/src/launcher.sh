#!/bin/sh
# Starts the telemetry extension: Lambda runs this file as /opt/extensions/<its name>.
#
# Lambda starts the function's runtime only once every external extension has registered, and
# a shell is up long before Node is. So the launcher registers with the Extensions API itself
# (bash's /dev/tcp, no compiled binary to build per architecture), subscribes to the Telemetry
# API at once (subscriptions close when the runtime first calls `next`, and the runtime starts
# as soon as registration is done), then hands both to Node in TELEMETRY_EXTENSION_* variables.
# Whenever it cannot (no bash, no /dev/tcp, an answer other than 200 with an identifier), Node
# registers and subscribes itself.
#
# scripts/build.mjs fills in the placeholders: the subscription body around the port and the
# default port come from telemetry-subscription.ts, so the launcher sends what Node would.

case $0 in
*/*) bundle=${0%/*}/@BUNDLE@ ;;
*) bundle=@BUNDLE@ ;;
esac

start_node() {
  exec node @NODE_OPTIONS@ "$bundle" 3<&-
}

# Node registers: nothing the launcher's environment may hold is passed on as a registration.
node_registers() {
  unset TELEMETRY_EXTENSION_ID TELEMETRY_EXTENSION_REGISTRATION TELEMETRY_EXTENSION_SUBSCRIBED_PORT
  start_node
}

if [ -z "${BASH_VERSION:-}" ]; then
  # Not bash (Debian's /bin/sh is dash; Amazon Linux's is bash): /dev/tcp is bash's. Run again
  # under bash when there is one; the argument stops a shell that is not bash from looping.
  bash=${TELEMETRY_EXTENSION_BASH:-/bin/bash}
  if [ "${1:-}" != --under-bash ] && [ -x "$bash" ]; then exec "$bash" "$0" --under-bash; fi
  node_registers
fi

# Header names are case-insensitive.
shopt -s nocasematch
# A peer that closes early must fail the write, not kill the launcher (Node ignores SIGPIPE too).
trap '' PIPE
# Lambda's API answers at once; a silent one gets this long before Node tries on its own
# (Init as a whole may take 10 s).
timeout=3
# What Lambda requires as Lambda-Extension-Name: this executable's file name.
name=${0##*/}
api=${AWS_LAMBDA_RUNTIME_API:-}
api_host=${api%:*}
api_port=${api##*:}

# One request on its own connection (Connection: close: the body then ends where the stream
# does): method, path, extra header lines, body. Sets status, identifier and body. Builtins
# only: every fork would delay registration.
exchange() {
  status='' identifier='' body=''
  # Lengths count bytes: measure and read bytes, whatever the locale.
  local LC_ALL=C request line value length='' chunked=''
  printf -v request '%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "$api" "$3" "${#4}" "$4"
  # `command`: in POSIX mode (bash as /bin/sh) a failed redirection of plain `exec` ends the shell.
  command exec 3<>"/dev/tcp/$api_host/$api_port" || return 1
  printf '%s' "$request" >&3 || return 1
  IFS= read -r -t "$timeout" line <&3 || return 1
  line=${line%$'\r'}
  status=${line#* }
  status=${status%% *}
  while IFS= read -r -t "$timeout" line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    value=${line#*:}
    value=${value# }
    case ${line%%:*} in
    lambda-extension-identifier) identifier=$value ;;
    content-length) length=$value ;;
    transfer-encoding) chunked=$value ;;
    esac
  done
  if [ -n "$chunked" ]; then
    local size chunk
    while IFS= read -r -t "$timeout" size <&3; do
      size=${size%$'\r'}
      size=${size%%;*}
      # Checked first: in POSIX mode an arithmetic error ends the shell.
      case $size in '' | *[!0-9a-fA-F]*) break ;; esac
      size=$((16#$size))
      [ "$size" -gt 0 ] || break
      IFS= read -r -t "$timeout" -N "$size" chunk <&3 || break
      body+=$chunk
      IFS= read -r -t "$timeout" line <&3 || break
    done
  elif [ -n "$length" ]; then
    IFS= read -r -t "$timeout" -N "$length" body <&3
  else
    IFS= read -r -t "$timeout" -d '' body <&3
  fi
  exec 3<&-
  return 0
}

case $api_port in '' | *[!0-9]*) node_registers ;; esac
registration='{"events":["INVOKE","SHUTDOWN"]}'
exchange POST /2020-01-01/extension/register "Lambda-Extension-Name: $name"$'\r\n' "$registration" 2>/dev/null ||
  node_registers
[ "$status" = 200 ] && [ -n "$identifier" ] || node_registers
# Lambda has registered this extension: from here on Node must adopt it, not register again.
case $body in
# Informational only (function name, version, handler, which Node also finds in its
# environment): a body this reader could not take apart is handed over empty.
\{*\}*) ;;
*) body='{}' ;;
esac
export TELEMETRY_EXTENSION_ID="$identifier" TELEMETRY_EXTENSION_REGISTRATION="$body"
unset TELEMETRY_EXTENSION_SUBSCRIBED_PORT

# The listener's port as Node will read it from TELEMETRY_LISTENER_ADDRESS (host:port); port 0
# (a free port, chosen by Node) or a value Node would refuse leaves subscribing to Node.
listener_port=${TELEMETRY_LISTENER_ADDRESS:-:@DEFAULT_LISTENER_PORT@}
case $listener_port in *:*) listener_port=${listener_port##*:} ;; *) listener_port='' ;; esac
case $listener_port in '' | 0* | *[!0-9]* | ??????*) listener_port='' ;; esac
if [ -n "$listener_port" ] && [ "$listener_port" -le 65535 ]; then
  subscription='@SUBSCRIPTION_BEFORE_PORT@'"$listener_port"'@SUBSCRIPTION_AFTER_PORT@'
  if exchange PUT /2022-07-01/telemetry "Lambda-Extension-Identifier: $identifier"$'\r\n' "$subscription" 2>/dev/null &&
    [ "$status" = 200 ]; then
    export TELEMETRY_EXTENSION_SUBSCRIBED_PORT="$listener_port"
  fi
fi
start_node
