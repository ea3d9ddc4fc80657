#!/bin/sh
# *************************************************************************
# * start.sh: start script of the mail group, the seed's START.BAT in sh  *
# * (ExpressMail on CLUSTERPRO X, "start script file sample" 001.01),     *
# * line by line: ARMLOAD -> tandem svc load, ARMBCAST -> tandem           *
# * broadcast, ARMFOVER -> tandem group failover. See docs/ha-mail.md.     *
# *************************************************************************
#
# The node daemon runs it as the `start` action of a `script` resource, with
# CLP_EVENT, CLP_DISK, CLP_SERVER, CLP_GROUPNAME, CLP_NODE (and TANDEM_*) set and
# TANDEM_CLUSTER_CONFIG pointing at the cluster configuration, so the `tandem`
# commands below reach this node's daemon. MAIL_DATA (the data volume) comes from the
# resource's params.env. Exit 0 = started; anything else is a failed start.

MAIL_DATA=${MAIL_DATA:?is not set: name the mail data volume in the script resource params.env}

# Every mail service, with monitoring (ARMLOAD NAME /S /M "ExpressMail ... Service"):
# an exit is restarted up to 3 times within an hour, then the group fails over. Each
# `svc load` only hands the command to the daemon, so they run side by side (a start
# takes one command's time, not seven); the function fails if any of them failed.
load_mail_services() {
  pids=
  tandem svc load smtp --monitor -- tandem mail serve smtp --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load password --monitor -- tandem mail serve password --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load pop3 --monitor -- tandem mail serve pop3 --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load imap --monitor -- tandem mail serve imap --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load http --monitor -- tandem mail serve http --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load cron --monitor -- tandem mail serve cron --data "$MAIL_DATA" & pids="$pids $!"
  tandem svc load ldap --monitor -- tandem mail serve ldap --data "$MAIL_DATA" & pids="$pids $!"
  # Central account management (S7): only a domain master or slave replicates.
  case "$(tandem mail replication status --data "$MAIL_DATA" | sed -n 's/^role: //p')" in
    master|slave) tandem svc load replication --monitor -- tandem mail serve replication --data "$MAIL_DATA" & pids="$pids $!" ;;
  esac
  failed=0
  for pid in $pids; do wait "$pid" || failed=1; done
  return $failed
}

# *************************************************************************
# start cause check (起動要因チェック)
# *************************************************************************
case "$CLP_EVENT" in
  START) ;;
  FAILOVER) ;;
  RECOVER) ;;
  # the cluster agent is not running (ActiveRecoveryManager 未動作)
  *)
    tandem broadcast "mail: the start script ran without a cluster event (CLP_EVENT=$CLP_EVENT): is the node daemon running?"
    exit 1 ;;
esac

# *************************************************************************
# disk-related error (ディスク関連エラー処理), shared by START and FAILOVER
# *************************************************************************
error_disk() {
  tandem broadcast "mail: connecting the data volume failed on $CLP_NODE"
  # Only the home node hands the group on, as the seed's START ARMFOVER does; the
  # recovery policy would also move it after this failed start.
  if [ "$CLP_SERVER" != OTHER ]; then
    tandem group failover "$CLP_GROUPNAME"
  fi
  exit 1
}

case "$CLP_EVENT" in
  # *************************************************************************
  # normal start (通常起動対応処理)
  # *************************************************************************
  START)
    # disk check
    if [ "$CLP_DISK" = FAILURE ]; then error_disk; fi
    echo "mail: normal start on $CLP_NODE ($CLP_SERVER)"
    load_mail_services || exit 1
    # priority check
    if [ "$CLP_SERVER" = OTHER ]; then
      # not on the highest-priority node
      tandem broadcast "mail: started on $CLP_NODE, not the highest-priority node"
    else
      # on the highest-priority node
      tandem broadcast "mail: started on the highest-priority node $CLP_NODE"
    fi
    ;;

  # *************************************************************************
  # start after a failover (フェイルオーバー対応処理)
  # *************************************************************************
  FAILOVER)
    # disk check
    if [ "$CLP_DISK" = FAILURE ]; then error_disk; fi
    echo "mail: failover start on $CLP_NODE ($CLP_SERVER)"
    load_mail_services || exit 1
    # priority check
    if [ "$CLP_SERVER" = OTHER ]; then
      tandem broadcast "mail: started on $CLP_NODE, not the highest-priority node (after failover)"
    else
      tandem broadcast "mail: started on the highest-priority node $CLP_NODE (after failover)"
    fi
    ;;

  # *************************************************************************
  # recovery (リカバリ対応処理). In CLUSTERPRO this event only reports that a server
  # came back; in Tandem RECOVER is the restart of the group's resource on this node
  # after a failure, so the services are loaded again.
  # *************************************************************************
  RECOVER)
    echo "mail: recovery start on $CLP_NODE"
    load_mail_services || exit 1
    tandem broadcast "mail: services on $CLP_NODE restarted after a failure"
    ;;
esac
exit 0
