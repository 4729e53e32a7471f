package com.example.camerareceiver;

import android.content.Context;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.util.AttributeSet;
import android.view.View;

import java.util.Locale;

/**
 * Draws the camera as a red circle: x moves it right, z moves it up (a map seen from above),
 * y (height) scales it. Positions arrive on the main thread.
 */
public class CustomCircleView extends View implements PositionView {
    /** Screen pixels per world unit. */
    private static final float SCALE = 40f;

    private final Paint circlePaint = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final Paint textPaint = new Paint(Paint.ANTI_ALIAS_FLAG);
    private double x;
    private double y;
    private double z;

    public CustomCircleView(Context context) {
        this(context, null);
    }

    public CustomCircleView(Context context, AttributeSet attrs) {
        super(context, attrs);
        circlePaint.setColor(Color.RED);
        textPaint.setColor(Color.DKGRAY);
        textPaint.setTextSize(36f);
    }

    @Override
    public void setCirclePosition(double x, double y, double z) {
        this.x = x;
        this.y = y;
        this.z = z;
        invalidate();
    }

    @Override
    protected void onDraw(Canvas canvas) {
        super.onDraw(canvas);
        float cx = getWidth() / 2f + (float) (x * SCALE);
        float cy = getHeight() / 2f - (float) (z * SCALE);
        float radius = (float) Math.max(12.0, Math.min(80.0, 30.0 + y * 5.0));
        canvas.drawCircle(cx, cy, radius, circlePaint);
        canvas.drawText(String.format(Locale.ROOT, "x=%.2f y=%.2f z=%.2f", x, y, z), 24f, 48f, textPaint);
    }
}
