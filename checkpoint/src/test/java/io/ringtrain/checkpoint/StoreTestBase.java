package io.ringtrain.checkpoint;

import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Gives each test a fresh, empty checkpoint root in a temp directory or in a fresh bucket of an embedded S3 server. */
abstract class StoreTestBase {
    static S3Server s3;

    @TempDir
    Path temp;

    @BeforeAll
    static void startS3() {
        s3 = S3Server.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    String newRootUri(Backend backend) {
        return switch (backend) {
            case DIRECTORY -> "file://" + temp.resolve("ckpt-" + System.nanoTime());
            case S3 -> s3.newRootUri();
        };
    }

    /** {@code root} with {@code path} appended, keeping S3 settings (the query) at the end. */
    static String at(String root, String path) {
        int query = root.indexOf('?');
        return query < 0 ? root + "/" + path : root.substring(0, query) + "/" + path + root.substring(query);
    }

    static Function<String, CheckpointStore> opener(Backend backend) {
        return backend == Backend.S3 ? S3Server.opener() : CheckpointStore::open;
    }

    static Checkpoints open(Backend backend, String rootUri) {
        return open(backend, rootUri, new Checkpoints.Context());
    }

    static Checkpoints open(Backend backend, String rootUri, Checkpoints.Context context) {
        return Checkpoints.open(opener(backend).apply(rootUri), context.readChunkBytes(1024 * 1024));
    }

    Checkpoints openNew(Backend backend) {
        return open(backend, newRootUri(backend));
    }
}
