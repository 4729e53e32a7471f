package com.example.camerareceiver;

/**
 * Where received camera positions go. {@link CustomCircleView} implements it on Android; the
 * host tests implement it to record what arrived. No android.* here, so the receiving code is
 * compiled and tested on a desktop JVM.
 */
public interface PositionView {
    /** Called on the main thread (the client's callback executor) for every position. */
    void setCirclePosition(double x, double y, double z);
}
