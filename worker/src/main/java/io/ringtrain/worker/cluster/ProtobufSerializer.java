package io.ringtrain.worker.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.NotSerializableException;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Pekko serializer for ringtrain's protobuf control messages. The manifest is the message's full
 * protobuf name, which survives Java package renames; decoding uses a parser looked up once per
 * type when the serializer is created, never reflection per message.
 */
public final class ProtobufSerializer extends SerializerWithStringManifest {

    /** Stable forever: it is written into every remote message. Pekko reserves 0-40. */
    public static final int IDENTIFIER = 7310;

    private final Map<String, Parser<? extends Message>> parsers = ControlMessages.parsersByManifest();

    public ProtobufSerializer(ExtendedActorSystem system) {
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(Object o) {
        return ControlMessages.manifest(asMessage(o));
    }

    @Override
    public byte[] toBinary(Object o) {
        return asMessage(o).toByteArray();
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        Parser<? extends Message> parser = parsers.get(manifest);
        if (parser == null) {
            throw new NotSerializableException("unknown ringtrain control message '" + manifest
                    + "': the sender runs a different ringtrain version; run the same version on every node");
        }
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            NotSerializableException failure = new NotSerializableException(
                    "corrupt ringtrain control message '" + manifest + "' (" + bytes.length + " bytes): " + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
    }

    private static Message asMessage(Object o) {
        if (o instanceof Message m) {
            return m;
        }
        throw new IllegalArgumentException("ProtobufSerializer only serializes protobuf messages, not "
                + (o == null ? "null" : o.getClass().getName()) + ": check serialization-bindings in reference.conf");
    }
}
