package io.ringtrain.worker.collective;

import io.ringtrain.allreduce.CollectiveException;
import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.agrona.MutableDirectBuffer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The ring's collectives as an actor, for users who write their own actors instead of a
 * {@code Model}: send a command, receive {@link Done} or {@link Failed} as a message. The actor never
 * blocks; it hands each command to the data plane in arrival order, which must be the same order on every
 * rank (as with any collective). Buffers are worked on in place; do not touch one until its result arrives.
 *
 * <pre>{@code
 * ActorRef<Collective.Command> ring = context.spawn(Collective.create(communicator), "collective");
 * ring.tell(new Collective.AllReduce(gradients, 0, count, DataType.FLOAT32, ReduceOp.SUM, step, context.getSelf()));
 * }</pre>
 */
public final class Collective {
    private Collective() {
    }

    /** What the actor does. Local messages only: buffers are memory of this JVM. */
    public sealed interface Command permits AllReduce, Broadcast, Barrier, UseRing {
    }

    /** In-place all-reduce of {@code count} elements at byte {@code offset}. */
    public record AllReduce(MutableDirectBuffer buffer, int offset, int count, DataType type, ReduceOp op, long requestId,
                            ActorRef<Result> replyTo) implements Command {
    }

    /** Copies {@code length} bytes at {@code offset} from rank {@code root} to every rank. */
    public record Broadcast(MutableDirectBuffer buffer, int offset, int length, int root, long requestId,
                            ActorRef<Result> replyTo) implements Command {
    }

    /** Completes once every rank has sent one. */
    public record Barrier(long requestId, ActorRef<Result> replyTo) implements Command {
    }

    /** Switches to the ring of a new generation; later commands run there. */
    public record UseRing(Communicator communicator) implements Command {
    }

    /** What comes back, tagged with the caller's request id. */
    public sealed interface Result permits Done, Failed {
        long requestId();
    }

    public record Done(long requestId) implements Result {
    }

    /** The collective failed (peer lost, timeout, mismatch, ring closed): re-form the ring before the next. */
    public record Failed(long requestId, CollectiveException cause) implements Result {
    }

    public static Behavior<Command> create(Communicator communicator) {
        return running(communicator);
    }

    private static Behavior<Command> running(Communicator ring) {
        return Behaviors.receive(Command.class)
                .onMessage(AllReduce.class, c -> {
                    reply(ring.allReduce(c.buffer(), c.offset(), c.count(), c.type(), c.op()), c.requestId(), c.replyTo());
                    return Behaviors.same();
                })
                .onMessage(Broadcast.class, c -> {
                    reply(ring.broadcast(c.buffer(), c.offset(), c.length(), c.root()), c.requestId(), c.replyTo());
                    return Behaviors.same();
                })
                .onMessage(Barrier.class, c -> {
                    reply(ring.barrier(), c.requestId(), c.replyTo());
                    return Behaviors.same();
                })
                .onMessage(UseRing.class, c -> running(c.communicator()))
                .build();
    }

    /** Replies straight from the data plane's completion: telling an actor is cheap and never blocks. */
    private static void reply(CompletableFuture<Void> future, long requestId, ActorRef<Result> replyTo) {
        future.whenComplete((ok, error) -> {
            if (error == null) {
                replyTo.tell(new Done(requestId));
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                replyTo.tell(new Failed(requestId, cause instanceof CollectiveException c ? c
                        : new CollectiveException.Closed("collective failed: " + cause, cause)));
            }
        });
    }
}
