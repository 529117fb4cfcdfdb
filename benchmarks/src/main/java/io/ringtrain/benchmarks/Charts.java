package io.ringtrain.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Headless PNG charts for the scaling-study reports. */
public final class Charts {
    private Charts() {
    }

    /**
     * One series against a log-scale x axis, with an optional horizontal reference line (e.g. a ceiling).
     */
    public static void logXLine(Path file, String title, String xLabel, String yLabel, String series, double[] x, double[] y,
                                String referenceName, double reference) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(true);
        chart.addSeries(series, x, y).setMarker(SeriesMarkers.CIRCLE);
        if (referenceName != null && x.length > 0) {
            chart.addSeries(referenceName, new double[] {x[0], x[x.length - 1]}, new double[] {reference, reference})
                    .setMarker(SeriesMarkers.NONE);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
