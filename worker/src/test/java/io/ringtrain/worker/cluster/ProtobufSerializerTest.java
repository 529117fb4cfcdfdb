package io.ringtrain.worker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.checkpoint.TensorEntry;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import io.ringtrain.protocol.control.AbortAcknowledged;
import io.ringtrain.protocol.control.AbortRing;
import io.ringtrain.protocol.control.EndRun;
import io.ringtrain.protocol.control.FailureKind;
import io.ringtrain.protocol.control.LeaveRequested;
import io.ringtrain.protocol.control.WorkerExited;
import io.ringtrain.protocol.control.PauseRing;
import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.RegistrationRejected;
import io.ringtrain.protocol.control.Released;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.RingReady;
import io.ringtrain.protocol.control.RingStopped;
import io.ringtrain.protocol.control.RunSpec;
import io.ringtrain.protocol.control.SaveCheckpoint;
import io.ringtrain.protocol.control.ShardSaved;
import io.ringtrain.protocol.control.StartTraining;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.Welcome;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerFinished;
import java.io.NotSerializableException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProtobufSerializerTest {

    private static ActorSystem<Void> system;
    private static Serialization serialization;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "serializer-test");
        serialization = SerializationExtension.get(system.classicSystem());
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    private static final RunSpec SPEC = RunSpec.newBuilder()
            .setRunId("r1").setModel("mlp").setSeed(7).setGlobalBatch(256).setTotalSteps(300).setOptimizer("adam")
            .setLearningRate(0.01).setCheckpointUri("s3://bucket/prefix").setS3Endpoint("http://127.0.0.1:9000")
            .setCheckpointEvery(50).setProgressIntervalMs(2000).setExportParamsPath("final.npy").putOptions("hidden", "128")
            .build();
    private static final RingReady READY = RingReady.newBuilder().setGeneration(3).setRank(1).setStepsDone(120)
            .setStateCrc32C(0xcafe0123).build();

    /** One sample of every case of both envelopes, with every field set. */
    private static final List<Message> SAMPLES = List.of(
            ToWorker.newBuilder().setWelcome(Welcome.newBuilder().setCoordinator("pekko://ringtrain@10.0.0.1:2551/user/x#1")
                    .setSpec(SPEC)).build(),
            ToWorker.newBuilder().setRing(RingAssignment.newBuilder().setGeneration(3).setRank(1).setWorldSize(2)
                    .addEndpoints("10.0.0.2:40001").addEndpoints("10.0.0.3:40001").addWorkerIds("w-0").addWorkerIds("w-1")
                    .setStartStep(120).setStateSource(StateSource.STATE_PEER).setSourceRank(1)).build(),
            ToWorker.newBuilder().setStart(StartTraining.newBuilder().setGeneration(3)).build(),
            ToWorker.newBuilder().setRejected(RegistrationRejected.newBuilder().setReason("ring is full")).build(),
            ToWorker.newBuilder().setEnd(EndRun.newBuilder().setSuccess(false).setReason("worker w-1 left")).build(),
            ToWorker.newBuilder().setPause(PauseRing.newBuilder().setGeneration(3).setReason("w-4 joins")).build(),
            ToWorker.newBuilder().setAbort(AbortRing.newBuilder().setGeneration(3).setReason("w-2 exited")).build(),
            ToWorker.newBuilder().setSave(SaveCheckpoint.newBuilder().setGeneration(3).setStep(130)).build(),
            ToWorker.newBuilder().setReleased(Released.newBuilder().setReason("left at step 130")).build(),
            ToCoordinator.newBuilder().setRegister(RegisterWorker.newBuilder().setWorker("pekko://ringtrain@10.0.0.2:2552/user/w#5")
                    .setWorkerId("ringtrain-worker-3").setOrdinal(3).setDataPlaneEndpoint("10.0.0.2:40001")
                    .setHighestGeneration(2)).build(),
            ToCoordinator.newBuilder().setRingReady(READY).build(),
            ToCoordinator.newBuilder().setProgress(ProgressReport.newBuilder().setGeneration(3).setRank(1).setStepsDone(120)
                    .setLoss(0.25).setSamplesPerSecond(1234.5)).build(),
            ToCoordinator.newBuilder().setShardSaved(ShardSaved.newBuilder().setGeneration(3)
                    .setReport(ShardReport.newBuilder().setRunId("r1").setStep(150).setRank(1).setWorldSize(2)
                            .setStateBytes(2 << 20).setByteOffset(1 << 20).setByteLength(1 << 20).setCrc32C(0xdeadbeef)
                            .setObjectName("shard-1-of-2.bin"))
                    .setDraft(CheckpointManifest.newBuilder().setRunId("r1").setStep(150).setWorldSize(2)
                            .addTensors(TensorEntry.newBuilder().setSpec(TensorSpec.newBuilder().setName("w")
                                    .setDtype(Dtype.DTYPE_FLOAT32).addShape(512).addShape(1024)).setByteLength(2 << 20))))
                    .build(),
            ToCoordinator.newBuilder().setFinished(WorkerFinished.newBuilder().setGeneration(3).setRank(1).setStepsDone(300)
                    .setFinalLoss(0.1).setHeldOutAccuracy(0.93).setSamplesPerSecond(999).putMetrics("step.compute.ms", 3.5)).build(),
            ToCoordinator.newBuilder().setFailed(WorkerFailed.newBuilder().setGeneration(3).setRank(-1).setWorkerId("w-1")
                    .setReason("data plane timed out").setKind(FailureKind.FAILURE_STORAGE)).build(),
            ToCoordinator.newBuilder().setStopped(RingStopped.newBuilder().setGeneration(3).setRank(1).setStepsDone(121)
                    .setStateCrc32C(0x1234abcd).setCause(StopCause.STOP_BROKEN).setReason("peer lost").setLeaving(true).setLostPeer(2)).build(),
            ToCoordinator.newBuilder().setAbortAcknowledged(AbortAcknowledged.newBuilder().setGeneration(3).setRank(1)).build(),
            ToCoordinator.newBuilder().setLeave(LeaveRequested.newBuilder().setWorkerId("w-1").setReason("SIGTERM")).build(),
            ToCoordinator.newBuilder().setWorkerExited(WorkerExited.newBuilder().setWorkerId("w-2")
                    .setHow("its process exited with status 137 (SIGKILL)")).build());

    @Test
    void everyControlMessageRoundTripsThroughTheBoundSerializer() {
        for (Message sample : SAMPLES) {
            Serializer serializer = serialization.findSerializerFor(sample);
            assertInstanceOf(ProtobufSerializer.class, serializer, "serializer bound to " + sample.getClass().getName());
            String manifest = Serializers.manifestFor(serializer, sample);
            assertEquals(sample.getDescriptorForType().getFullName(), manifest);

            byte[] bytes = serialization.serialize(sample).get();
            Object decoded = serialization.deserialize(bytes, ProtobufSerializer.IDENTIFIER, manifest).get();

            assertEquals(sample, decoded, "round trip of " + manifest);
        }
    }

    @Test
    void samplesCoverEveryCaseOfBothEnvelopes() {
        for (Message envelope : ControlMessages.ALL) {
            Set<String> declared = envelope.getDescriptorForType().getOneofs().get(0).getFields().stream()
                    .map(FieldDescriptor::getName).collect(Collectors.toSet());
            Set<String> sampled = SAMPLES.stream()
                    .filter(m -> m.getDescriptorForType().equals(envelope.getDescriptorForType()))
                    .flatMap(m -> m.getAllFields().keySet().stream()).map(FieldDescriptor::getName).collect(Collectors.toSet());
            assertEquals(declared, sampled, "every case of " + envelope.getDescriptorForType().getName() + " needs a round-trip sample");
        }
    }

    @Test
    void onlyTheEnvelopesAreRegistered() {
        assertEquals(Set.of("ringtrain.control.ToWorker", "ringtrain.control.ToCoordinator"),
                ControlMessages.ALL.stream().map(ControlMessages::manifest).collect(Collectors.toSet()));
    }

    @Test
    void unknownManifestFailsNamingTheManifest() {
        ProtobufSerializer serializer = (ProtobufSerializer) serialization.findSerializerFor(SAMPLES.get(0));

        NotSerializableException e = assertThrows(NotSerializableException.class,
                () -> serializer.fromBinary(SAMPLES.get(0).toByteArray(), "ringtrain.control.FromTheFuture"));

        assertTrue(e.getMessage().contains("ringtrain.control.FromTheFuture"), e.getMessage());
        assertTrue(e.getMessage().contains("same version"), e.getMessage());
    }

    @Test
    void corruptBytesFailClearly() {
        ProtobufSerializer serializer = (ProtobufSerializer) serialization.findSerializerFor(SAMPLES.get(0));

        NotSerializableException e = assertThrows(NotSerializableException.class,
                () -> serializer.fromBinary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, "ringtrain.control.ToCoordinator"));

        assertTrue(e.getMessage().contains("corrupt ringtrain control message 'ringtrain.control.ToCoordinator'"), e.getMessage());
    }

    @Test
    void javaSerializationIsOff() {
        assertEquals("off", system.settings().config().getString("pekko.actor.allow-java-serialization"));
        assertThrows(Exception.class, () -> serialization.serialize(new java.util.ArrayList<>(List.of("x"))).get());
    }
}
