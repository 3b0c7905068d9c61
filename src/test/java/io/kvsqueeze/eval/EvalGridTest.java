package io.kvsqueeze.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EvalGridTest {

    @Test
    void lengthsTakeAKSuffix() {
        assertThat(EvalGrid.lengths("1k, 2K,4000")).containsExactly(1024, 2048, 4000);
    }

    @Test
    void depthRangeGivesElevenRoundedSteps() {
        assertThat(EvalGrid.depths("0..1/10"))
                .containsExactly(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
        assertThat(EvalGrid.depths("0, 0.5,1")).containsExactly(0.0, 0.5, 1.0);
    }

    @Test
    void budgetsAreTokenCountsOrRatios() {
        assertThat(EvalGrid.budgets("64,128,0.1,1")).containsExactly("64", "128", "0.1", "1");
    }

    @Test
    void badItemsAreNamed() {
        assertThatThrownBy(() -> EvalGrid.lengths("1k,abc")).hasMessageContaining("'abc'");
        assertThatThrownBy(() -> EvalGrid.lengths("0")).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> EvalGrid.depths("0..1.5/10")).hasMessageContaining("'1.5'");
        assertThatThrownBy(() -> EvalGrid.depths("1..0/10")).hasMessageContaining("from <= to");
        assertThatThrownBy(() -> EvalGrid.depths("0..1")).hasMessageContaining("from..to/steps");
        assertThatThrownBy(() -> EvalGrid.budgets("1.5")).hasMessageContaining("'1.5'");
        assertThatThrownBy(() -> EvalGrid.budgets("0")).hasMessageContaining("'0'");
        assertThatThrownBy(() -> EvalGrid.budgets(" , ")).hasMessageContaining("empty");
    }
}
