package io.kvsqueeze.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatMapPngTest {

    @Test
    void cellsAreColouredByAccuracy(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path file = dir.resolve("map.png");
        HeatMapPng.write(file, "snapkv @ 0.2", List.of(1024, 2048), List.of(0.0, 1.0),
                new double[][] {{1.0, 0.0}, {Double.NaN, 0.5}});
        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isGreaterThan(2 * 64);
        // sample each cell near its top-left corner, away from the label
        assertThat(new Color(image.getRGB(70 + 3, 48 + 3))).isEqualTo(HeatMapPng.colour(1.0));
        assertThat(new Color(image.getRGB(70 + 64 + 3, 48 + 3))).isEqualTo(HeatMapPng.colour(0.0));
        assertThat(new Color(image.getRGB(70 + 3, 48 + 28 + 3))).isEqualTo(Color.LIGHT_GRAY);
        assertThat(new Color(image.getRGB(70 + 64 + 3, 48 + 28 + 3))).isEqualTo(HeatMapPng.colour(0.5));
    }

    @Test
    void colourRunsFromRedThroughYellowToGreen() {
        assertThat(HeatMapPng.colour(0.0)).isEqualTo(new Color(230, 0, 70));
        assertThat(HeatMapPng.colour(0.5)).isEqualTo(new Color(230, 200, 70));
        assertThat(HeatMapPng.colour(1.0)).isEqualTo(new Color(0, 200, 70));
    }
}
