# shellcheck shell=bash
# Debian packages fetched without touching the machine's apt: sourced by scripts/boot-test.sh
# and scripts/initramfs-test.sh. Each caller defines die MESSAGE.

# host_mirror: the Debian mirror this machine's apt sources use (one-line and deb822 formats):
# the first URI that ends in /debian (or is a snapshot.debian.org archive of it), else
# deb.debian.org.
host_mirror() {
    local files=() f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] && files+=("$f")
    done
    if [ ${#files[@]} -gt 0 ]; then
        while read -r uri; do
            case "$uri" in
                *://*/debian | *://*/debian/ | *://snapshot.debian.org/archive/debian/*)
                    echo "${uri%/}"
                    return
                    ;;
            esac
        done < <(awk '
            $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }
            $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' "${files[@]}")
    fi
    echo http://deb.debian.org/debian
}

# apt_setup DIR SUITE ARCH WHO: an apt configuration of its own in DIR/apt for SUITE's main
# component of the Debian architecture ARCH (from BOOT_MIRROR, else the machine's mirror), its
# lists updated; WHO names the caller in what it prints. Sets apt (the directory) and conf (the
# file for APT_CONFIG). apt reads APT_CONFIG before anything else; from it on, it reads this
# directory only: not /etc/apt/apt.conf(.d), nor the machine's sources, preferences, lists, cache
# or dpkg status.
apt_setup() {
    local dir=$1 suite=$2 arch=$3 who=$4 mirror
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
        die "fetching from $suite needs apt-get and dpkg"
    [ -r "$keyring" ] || die "no $keyring (package debian-archive-keyring)"
    mirror=${BOOT_MIRROR:-$(host_mirror)}
    apt=$dir/apt
    conf=$apt/apt.conf
    rm -rf "$apt"
    mkdir -p "$apt"/lists/partial "$apt"/cache/archives/partial "$apt"/sources.list.d \
        "$apt"/apt.conf.d "$apt"/preferences.d
    : >"$apt/status"
    : >"$apt/main.conf"
    echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt/sources.list"
    printf '%s\n' \
        "Dir::Etc::Main \"$apt/main.conf\";" \
        "Dir::Etc::Parts \"$apt/apt.conf.d\";" \
        "Dir::Etc::SourceList \"$apt/sources.list\";" \
        "Dir::Etc::SourceParts \"$apt/sources.list.d\";" \
        "Dir::Etc::Preferences \"$apt/preferences\";" \
        "Dir::Etc::PreferencesParts \"$apt/preferences.d\";" \
        "Dir::State::Lists \"$apt/lists\";" \
        "Dir::State::status \"$apt/status\";" \
        "Dir::Cache \"$apt/cache\";" \
        "APT::Architecture \"$arch\";" \
        "APT::Architectures { \"$arch\"; };" \
        'APT::Sandbox::User "root";' \
        'Acquire::Languages "none";' >"$conf"
    echo "$who: fetching from $suite ($arch) at $mirror"
    APT_CONFIG=$conf apt-get -q=2 update || die "apt-get update ($suite from $mirror) failed"
}
