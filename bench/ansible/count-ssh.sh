#!/bin/sh
# Ansible's ssh, sftp and scp, counted: each invocation is one SSH command (one session over the
# multiplexed connection), logged to $LYRA_PEER_SSH_LOG with the program's name and the start of
# the remote command (Ansible's commands carry no secret: module code and file contents go over
# stdin). The real program is the one of the same name in /usr/bin.
program=$(basename "$0")
if [ -n "${LYRA_PEER_SSH_LOG:-}" ]; then
  for last; do :; done
  printf '%s %.100s\n' "$program" "$(printf '%s' "$last" | tr '\n' ' ')" >>"$LYRA_PEER_SSH_LOG"
fi
exec "/usr/bin/$program" "$@"
