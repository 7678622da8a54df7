/* The same module imported from Objective-C with @import. */
@import CVidkompy;

int main(void) {
    VidkompyAlignment *alignment = NULL;
    int r = vidkompy_alignment_from_json("{}", &alignment);
    if (r != VIDKOMPY_ERROR_INVALID_DATA || alignment != NULL) return 1;
    VidkompyFrame frame = {0};
    return vidkompy_frame_validate(&frame) < 0 ? 0 : 2;
}
