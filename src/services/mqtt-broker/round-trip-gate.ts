/**
 * The broker's deploy gate: a real MQTT round trip from the broker host, on the planned topic as
 * the planned user (`lyra/test`, monitor), as a POSIX shell script that src/fleet runs over SSH.
 * The password arrives on stdin and lives only in a private temp dir on the host (mosquitto's
 * clients read their options from $XDG_CONFIG_HOME, so it is never on a command line). `-R` skips a
 * retained message on the topic: someone may have left one there, and it is not this round trip's echo.
 */
export function mqttRoundTripScript(port: number, seconds: number, user: string, topic: string): string {
  return [
    "set -u",
    "umask 077",
    "dir=$(mktemp -d); trap 'rm -rf \"$dir\"' EXIT",
    "IFS= read -r password",
    `printf -- '-h 127.0.0.1\\n-p ${port}\\n-u ${user}\\n-P %s\\n' "$password" > "$dir/mosquitto_sub"`,
    'cp "$dir/mosquitto_sub" "$dir/mosquitto_pub"',
    `deadline=$(( $(date +%s) + ${seconds} ))`,
    "while :; do",
    '  token="gate-$$-$(date +%s)"',
    `  ( sleep 1; XDG_CONFIG_HOME="$dir" mosquitto_pub -t ${topic} -m "$token" -q 1 ) &`,
    `  got=$(XDG_CONFIG_HOME="$dir" mosquitto_sub -t ${topic} -R -C 1 -W 5 -q 1 2>/dev/null || true)`,
    "  wait",
    `  [ "$got" = "$token" ] && { echo "ok: MQTT round trip on ${topic}"; exit 0; }`,
    `  [ "$(date +%s)" -ge "$deadline" ] && { echo "MQTT round trip on ${topic} (port ${port}): no echo after ${seconds} s" >&2; exit 1; }`,
    "  sleep 2",
    "done",
  ].join("\n");
}
