package io.ringtrain.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import org.junit.jupiter.api.Test;

class CommonMessagesTest {
    @Test
    void tensorSpecSurvivesTheWire() throws Exception {
        TensorSpec spec = TensorSpec.newBuilder()
                .setName("layer0/weight").setDtype(Dtype.DTYPE_FLOAT32).addShape(784).addShape(128).build();

        TensorSpec decoded = TensorSpec.parseFrom(spec.toByteArray());

        assertEquals(spec, decoded);
        assertEquals(784 * 128, decoded.getShapeList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b));
    }
}
