package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import org.junit.jupiter.api.Test;

/** Where the media driver's files go by default, judged against the real file systems of this machine. */
class DriverDirectoriesTest {
    /**
     * Driver directories left by process {@code pid} wherever drivers put them (/dev/shm, or the temp directory
     * when /dev/shm is short): only that process's, so parallel test runs cannot disturb the check.
     */
    static java.util.List<String> leftoversOf(long pid) {
        java.util.List<String> found = new java.util.ArrayList<>();
        for (File parent : new File[] {SHM, TMP}) {
            String[] names = parent.list((dir, name) -> name.startsWith(DriverDirectories.PREFIX + pid + "-"));
            if (names != null) {
                for (String name : names) {
                    found.add(new File(parent, name).getPath());
                }
            }
        }
        return found;
    }

    private static final File SHM = new File("/dev/shm");
    private static final File TMP = new File(System.getProperty("java.io.tmpdir"));

    @Test
    void sharedMemoryWhenItHasRoom() {
        assumeTrue(SHM.isDirectory(), "this machine has no /dev/shm");
        assertEquals(SHM.getPath(), DriverDirectories.defaultParent(1 << 20));
    }

    @Test
    void tempDirectoryWhenSharedMemoryIsTooSmallButTheDiskIsNot() {
        long shmFree = SHM.getUsableSpace();
        assumeTrue(SHM.isDirectory() && TMP.getUsableSpace() > shmFree + (1 << 30),
                "needs a temp directory with more room than /dev/shm (here: shm " + shmFree + ", tmp " + TMP.getUsableSpace() + ")");
        assertEquals(TMP.getPath(), DriverDirectories.defaultParent(shmFree + (1 << 20)));
    }

    @Test
    void sharedMemoryWhenNothingHasRoomSoTheCheckCanSayWhatToChange() {
        assumeTrue(SHM.isDirectory(), "this machine has no /dev/shm");
        assertEquals(SHM.getPath(), DriverDirectories.defaultParent(Long.MAX_VALUE));
    }
}
