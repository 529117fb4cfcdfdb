package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.TensorEntry;
import io.ringtrain.protocol.common.Dtype;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateLayoutTest {
    @Test
    void tensorsAreLaidOutBackToBackWithSizesFromDtypeAndShape() {
        StateLayout layout = StateLayout.of(spec("w", Dtype.DTYPE_FLOAT32, 3, 4), spec("b", Dtype.DTYPE_FLOAT64, 4),
                spec("h", Dtype.DTYPE_BFLOAT16, 5));
        assertEquals(48 + 32 + 10, layout.totalBytes());
        assertEquals(48, layout.tensor("b").getByteOffset());
        assertEquals(80, layout.tensor("h").getByteOffset());
        assertEquals(10, layout.tensor("h").getByteLength());
    }

    @Test
    void layoutsWithGapsWrongSizesOrDuplicateNamesAreRejected() {
        TensorEntry w = StateLayout.of(spec("w", Dtype.DTYPE_FLOAT32, 2)).tensors().get(0);
        assertTrue(assertThrows(CheckpointException.class, () -> StateLayout.fromEntries(List.of(w, w.toBuilder().setByteOffset(8).build())))
                .getMessage().contains("used twice"));
        TensorEntry gap = w.toBuilder().setSpec(w.getSpec().toBuilder().setName("v")).setByteOffset(9).build();
        assertTrue(assertThrows(CheckpointException.class, () -> StateLayout.fromEntries(List.of(w, gap)))
                .getMessage().contains("back to back"));
        TensorEntry wrongSize = w.toBuilder().setByteLength(7).build();
        assertTrue(assertThrows(CheckpointException.class, () -> StateLayout.fromEntries(List.of(wrongSize)))
                .getMessage().contains("need 8"));
        assertTrue(assertThrows(CheckpointException.class, () -> StateLayout.of(spec("x", Dtype.DTYPE_UNSPECIFIED, 1)))
                .getMessage().contains("no known size"));
    }
}
