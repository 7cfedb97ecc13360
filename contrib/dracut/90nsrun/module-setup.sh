#!/bin/bash
# dracut module: puts the static nsrun binary into the initramfs as /usr/sbin/nsrun and the
# example of contrib/initramfs-tools/scripts/init-bottom/nsrun-example as a pre-pivot hook (it
# runs a container when the kernel command line has nsrun.example=1).
#
# Install: copy this directory, following links (nsrun-example.sh links to the initramfs-tools
# example), to /usr/lib/dracut/modules.d: cp -rL contrib/dracut/90nsrun /usr/lib/dracut/modules.d/
# and ask for it: add_dracutmodules+=" nsrun " in /etc/dracut.conf.d/nsrun.conf, or
# dracut --add nsrun. The binary is NSRUN (environment, or a line NSRUN=/path/to/nsrun in a
# dracut configuration file), by default the first of /usr/local/sbin/nsrun and /usr/sbin/nsrun.

nsrun_binary() {
    local b
    if [[ ${NSRUN-} ]]; then
        echo "$NSRUN"
        return
    fi
    for b in /usr/local/sbin/nsrun /usr/sbin/nsrun; do
        if [[ -x $b ]]; then
            echo "$b"
            return
        fi
    done
    echo /usr/sbin/nsrun
}

# Included only when asked for (255), and only with a binary to install.
check() {
    local b
    b=$(nsrun_binary)
    if [[ ! -f $b || ! -x $b ]]; then
        derror "nsrun: no nsrun binary at $b (set NSRUN)"
        return 1
    fi
    return 255
}

# nsrun needs no other module: it is static and mounts its own /proc.
depends() {
    return 0
}

install() {
    inst_simple "$(nsrun_binary)" /usr/sbin/nsrun
    # shellcheck disable=SC2154 # moddir: set by dracut
    inst_hook pre-pivot 90 "$moddir/nsrun-example.sh"
}
