# vector: an AI agent's process queues an at job (a job file written into the at spool and renamed into place, as at does; Debian's /var/spool/cron/atjobs and RHEL's /var/spool/at)
# expect: refused: EPERM for the agent's tree, deny with rule agent-only; an unmarked shell writes them
. "$PF_SUITE_DIR/vector.inc"
for d in /var/spool/cron/atjobs /var/spool/at; do
	rm -f "$d"/a0001*
	attempt as_agent pfop create "$d/a00010001a2b3c"
	refused_with EPERM "agent: write a job into $d"
	attempt as_agent pfop mknod "$d/.SEQ"
	refused_with EPERM "agent: create $d/.SEQ"
	[ -e "$d/a00010001a2b3c" ] && bypassed "agent: a job file exists in $d"
	deny "\"path\":\"$d/a00010001a2b3c\"" '"rule":"agent-only"' '"agent":"bpai"'
	allowed pfop create "$d/a0001human"
	allowed pfop write "$d/a0001human" 'echo human'
	attempt as_agent pfop write "$d/a0001human" 'touch /prot/etc/atjob'
	refused_with EPERM "agent: append to a queued job in $d"
	rm -f "$d/a0001human"
done
