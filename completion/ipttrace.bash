# SPDX-License-Identifier: GPL-2.0
# bash completion for ipttrace(8): options, interface names for -i (of the
# --netns namespace when one is given), namespace names for --netns, and
# the values of --probe and --backend.  Installed as
# /usr/share/bash-completion/completions/ipttrace.

_ipttrace_netns_arg()
{
	local i
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		case ${words[i]} in
		--netns) printf '%s\n' "${words[i + 1]}"; return ;;
		--netns=*) printf '%s\n' "${words[i]#--netns=}"; return ;;
		esac
	done
}

_ipttrace_ifaces()
{
	local ns
	ns=$(_ipttrace_netns_arg)
	if [[ -n $ns && $ns != */* && -e /run/netns/$ns ]]; then
		ip -n "$ns" -o link show 2>/dev/null |
			awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	else
		ls /sys/class/net 2>/dev/null
	fi
}

_ipttrace()
{
	local cur prev words cword split
	_init_completion -s -n : || return	# docker:NAME is one word

	case $prev in
	-i | --interface)
		COMPREPLY=($(compgen -W "$(_ipttrace_ifaces)" -- "$cur"))
		return
		;;
	--netns)
		if [[ $cur == */* ]]; then
			_filedir
		elif [[ $cur == docker:* ]] && type docker &>/dev/null; then
			COMPREPLY=($(compgen -P docker: -W "$(docker ps --format '{{.Names}}' 2>/dev/null)" -- "${cur#docker:}"))
			__ltrim_colon_completions "$cur"
		else
			COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null) pid: docker: cri:" -- "$cur"))
			[[ ${COMPREPLY-} == *: ]] && compopt -o nospace
			__ltrim_colon_completions "$cur"
		fi
		return
		;;
	--probe)
		COMPREPLY=($(compgen -W 'auto fentry kprobe' -- "$cur"))
		return
		;;
	--backend)
		COMPREPLY=($(compgen -W 'legacy nft all' -- "$cur"))
		return
		;;
	--kmod)
		_filedir '@(ko|ko.xz|ko.zst|ko.gz)'
		return
		;;
	--ready-file | -w | --write | --metrics-file)
		_filedir
		return
		;;
	-c | --count | -d | --duration | --rate | -I | --interval | --buffer-size | -s | --snaplen)
		return	# a number
		;;
	-\? | --help | --usage | -V | --version)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		local opts='-4 -6 -i --interface= --netns= --rate= --backend=
			-c --count= -d --duration= --json --no-rule-text --summary -v
			--verbose -w --write= -s --snaplen= --metrics-file= --latency -I --interval= --per-netns --keep-log
			--probe= --kmod= --buffer-size= --ready-file= --doctor --help
			--usage --version'
		opts=$(printf '%s\n' $opts $(_parse_help "$1" 2>/dev/null) | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	# the filter: pcap-filter(7) keywords
	COMPREPLY=($(compgen -W 'host net port portrange src dst tcp udp icmp
		icmp6 ip ip6 proto and or not less greater' -- "$cur"))
}
complete -F _ipttrace ipttrace
