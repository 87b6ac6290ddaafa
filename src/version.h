/* version.h - the release this tree builds. */
#ifndef EC2D_VERSION_H
#define EC2D_VERSION_H
#define EC2D_VERSION "0.1.0"
#endif
