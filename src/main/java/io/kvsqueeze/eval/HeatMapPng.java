package io.kvsqueeze.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A needle-in-a-haystack heat map as PNG: context length across, needle depth down, each cell coloured from
 * red (0 % retrieved) through yellow to green (100 %) and labelled with its accuracy. Drawn with java.desktop
 * in headless mode, so no plotting library is needed.
 */
public final class HeatMapPng {
    private static final int CELL_WIDTH = 64;
    private static final int CELL_HEIGHT = 28;
    private static final int LEFT = 70;
    private static final int TOP = 48;
    private static final int BOTTOM = 40;
    private static final int MIN_WIDTH = 320;

    private HeatMapPng() {
    }

    /**
     * Writes {@code accuracy[depthIndex][lengthIndex]} (each in [0, 1], or NaN for a cell that was not run).
     */
    public static void write(Path file, String title, List<Integer> lengths, List<Double> depths,
                             double[][] accuracy) {
        int width = Math.max(LEFT + CELL_WIDTH * lengths.size() + 16, MIN_WIDTH); // room for title and axis label
        int height = TOP + CELL_HEIGHT * depths.size() + BOTTOM;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics metrics = g.getFontMetrics();
            g.setColor(Color.BLACK);
            g.drawString(title, 8, 18);
            g.drawString("depth", 8, TOP - 8);
            for (int d = 0; d < depths.size(); d++) {
                int y = TOP + d * CELL_HEIGHT;
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%.2f", depths.get(d)), 24, y + CELL_HEIGHT / 2 + 5);
                for (int l = 0; l < lengths.size(); l++) {
                    int x = LEFT + l * CELL_WIDTH;
                    double value = accuracy[d][l];
                    g.setColor(Double.isNaN(value) ? Color.LIGHT_GRAY : colour(value));
                    g.fillRect(x, y, CELL_WIDTH - 1, CELL_HEIGHT - 1);
                    String label = Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f%%", value * 100);
                    g.setColor(Color.BLACK);
                    g.drawString(label, x + (CELL_WIDTH - metrics.stringWidth(label)) / 2, y + CELL_HEIGHT / 2 + 5);
                }
            }
            int axisY = TOP + depths.size() * CELL_HEIGHT + 16;
            for (int l = 0; l < lengths.size(); l++) {
                String label = String.valueOf(lengths.get(l));
                g.drawString(label, LEFT + l * CELL_WIDTH + (CELL_WIDTH - metrics.stringWidth(label)) / 2, axisY);
            }
            g.drawString("context tokens", LEFT, axisY + 18);
        } finally {
            g.dispose();
        }
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Red (0) → yellow (0.5) → green (1). */
    static Color colour(double value) {
        double v = Math.clamp(value, 0.0, 1.0);
        int red = v < 0.5 ? 230 : (int) Math.round(230 * (1 - v) * 2);
        int green = v < 0.5 ? (int) Math.round(200 * v * 2) : 200;
        return new Color(red, green, 70);
    }
}
