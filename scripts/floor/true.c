/* true.c - a static `true` for scripts/bench.sh: exits 0 at once, so that
 * dynamic loading of /bin/true does not blur the launcher timings. */
int main(void)
{
	return 0;
}
