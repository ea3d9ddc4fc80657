#!/bin/sh
# *************************************************************************
# * stop.sh: stop script of the mail group, the seed's STOP.BAT in sh     *
# * (ExpressMail on CLUSTERPRO X, "stop script file sample" 001.01),      *
# * line by line: ARMKILL -> tandem svc kill, ARMBCAST -> tandem          *
# * broadcast. See docs/ha-mail.md.                                       *
# *************************************************************************
#
# Run by the node daemon as the `stop` action of the `script` resource. It must be safe
# to run twice (after a daemon crash the daemon does not know what ran): killing a
# service that is not loaded is reported and ignored.

# Stop every mail service (ARMKILL NAME), side by side: each kill waits for its service
# to exit (TERM, then KILL after 5 s). Replication is killed too when it ran; a service
# that is not loaded is not an error.
kill_mail_services() {
  for svc in smtp password pop3 imap http cron ldap replication; do
    tandem svc kill "$svc" >/dev/null 2>&1 &
  done
  wait
}

# *************************************************************************
# stop cause check (起動要因チェック)
# *************************************************************************
case "$CLP_EVENT" in
  START|FAILOVER|RECOVER) ;;
  # the cluster agent is not running (ActiveRecoveryManager 未動作)
  *)
    tandem broadcast "mail: the stop script ran without a cluster event (CLP_EVENT=$CLP_EVENT): is the node daemon running?"
    kill_mail_services
    exit 0 ;;
esac

# disk check (ディスクチェック): the services are stopped in any case, so nothing keeps
# writing to a volume that is failing; the broadcast says why the stop may be unclean.
if [ "$CLP_DISK" = FAILURE ]; then
  tandem broadcast "mail: connecting the data volume failed on $CLP_NODE"
fi

echo "mail: stopping the mail services on $CLP_NODE ($CLP_EVENT, $CLP_SERVER)"
kill_mail_services

# priority check
if [ "$CLP_SERVER" = OTHER ]; then
  tandem broadcast "mail: stopped on $CLP_NODE, not the highest-priority node"
else
  tandem broadcast "mail: stopped on the highest-priority node $CLP_NODE"
fi
exit 0
