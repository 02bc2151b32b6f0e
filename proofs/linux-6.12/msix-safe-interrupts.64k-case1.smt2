; barproof: msix-needs-filtering under linux-6.12, 64 KiB pages, allow_unsafe_interrupts=0, type1|iommufd; case 2 of 4
; unsat means this case of the violation is impossible; clauses and assumptions follow the model facts:
;   linux-6.12.enable-requires-claimed
;   linux-6.12.bar-region-only
;   linux-6.12.memory-bar-only
;   linux-6.12.mmap-configured
;   linux-6.12.subpage-start-aligned
;   linux-6.12.subpage-reservation
;   linux-6.12.request-within-rounded-bar
;   linux-6.12.attach-isolated-msi
;   natural-alignment
;   tree-consistent
;   foreign-claimed
;   well-formed-pci
(set-logic QF_BV)
(declare-fun platform.backend-noiommu () Bool)
(declare-fun platform.backend-spapr () Bool)
(declare-fun platform.backend-iommufd () Bool)
(declare-fun platform.backend-type1 () Bool)
(declare-fun bar.size () (_ BitVec 64))
(declare-fun bar.start.page () (_ BitVec 48))
(declare-fun bar.start.in-page () (_ BitVec 16))
(declare-fun parent.size () (_ BitVec 64))
(declare-fun parent.start-from-bar-page () (_ BitVec 64))
(declare-fun bar.index.low () (_ BitVec 3))
(declare-fun other0.size () (_ BitVec 64))
(declare-fun other0.start-from-bar-page () (_ BitVec 64))
(declare-fun other0.index.low () (_ BitVec 3))
(declare-fun other0.same-device () Bool)
(declare-fun mmap.length.pages () (_ BitVec 42))
(declare-fun msix.table-size.entries () (_ BitVec 12))
(declare-fun msix.pba-size () (_ BitVec 64))
(declare-fun platform.allow-unsafe-interrupts () Bool)
(declare-fun platform.unaligned-fixed () Bool)
(declare-fun msix.present () Bool)
(declare-fun msix.table-bir.low () (_ BitVec 3))
(declare-fun msix.table-offset.qwords () (_ BitVec 29))
(declare-fun mmap.offset.pages () (_ BitVec 24))
(declare-fun platform.msi-isolated () Bool)
(declare-fun bar.claimed () Bool)
(declare-fun other0.claimed () Bool)
(declare-fun bar.memory () Bool)
(declare-fun platform.s390 () Bool)
(declare-fun other0.in-parent () Bool)
(declare-fun bar.fixed () Bool)
(declare-fun other0.fixed () Bool)
(declare-fun msix.pba-offset.qwords () (_ BitVec 29))
(declare-fun msix.pba-bir.low () (_ BitVec 3))
(declare-fun other0.memory () Bool)
(assert (or platform.backend-type1
    platform.backend-iommufd
    platform.backend-spapr
    platform.backend-noiommu))
(assert (not (and platform.backend-type1 platform.backend-iommufd)))
(assert (not (and platform.backend-type1 platform.backend-spapr)))
(assert (not (and platform.backend-type1 platform.backend-noiommu)))
(assert (not (and platform.backend-iommufd platform.backend-spapr)))
(assert (not (and platform.backend-iommufd platform.backend-noiommu)))
(assert (not (and platform.backend-spapr platform.backend-noiommu)))
(assert (not (= bar.size #x0000000000000000)))
(assert (let ((a!1 (not (bvule (concat #x000000000000 bar.start.in-page)
                       (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule (bvadd bar.size
                              (concat #x000000000000 bar.start.in-page))
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!5 (not (bvule bar.size
                       (bvmul #xffffffffffffffff
                              (concat #x000000000000 bar.start.in-page))))))
(let ((a!3 (or (= bar.size
                  (bvmul #xffffffffffffffff
                         (concat #x000000000000 bar.start.in-page)))
               a!2))
      (a!6 (not (and (not (= bar.start.in-page #x0000))
                     (or (= bar.size #x0000000000000000) a!5)))))
(let ((a!4 (= a!1 (and (not (= bar.start.page #x000000000000)) a!3))))
  (ite a!4 a!6 a!1)))))
(assert (not (= parent.size #x0000000000000000)))
(assert (let ((a!1 (not (bvule parent.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule (bvadd parent.start-from-bar-page parent.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!4 (or (= parent.size #x0000000000000000)
               (not (bvule parent.size
                           (bvmul #xffffffffffffffff parent.start-from-bar-page))))))
(let ((a!3 (and (not (= bar.start.page #x000000000000))
                (or (= parent.start-from-bar-page
                       (bvmul #xffffffffffffffff parent.size))
                    a!2)))
      (a!5 (not (and (not (= parent.start-from-bar-page #x0000000000000000))
                     a!4))))
  (ite (= a!1 a!3) a!5 a!1))))
(assert (bvule bar.index.low #b110))
(assert (not (= other0.size #x0000000000000000)))
(assert (let ((a!1 (not (bvule other0.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!4 (or (= other0.size #x0000000000000000)
               (not (bvule other0.size
                           (bvmul #xffffffffffffffff other0.start-from-bar-page))))))
(let ((a!3 (and (not (= bar.start.page #x000000000000))
                (or (= other0.start-from-bar-page
                       (bvmul #xffffffffffffffff other0.size))
                    a!2)))
      (a!5 (not (and (not (= other0.start-from-bar-page #x0000000000000000))
                     a!4))))
  (ite (= a!1 a!3) a!5 a!1))))
(assert (bvule other0.index.low #b110))
(assert (or (not other0.same-device) (not (= other0.index.low bar.index.low))))
(assert (not (= mmap.length.pages #b000000000000000000000000000000000000000000)))
(assert (bvule (concat mmap.length.pages #x0000)
       #b1000000000000000000000000000000000000000000000000000000000))
(assert (bvule #x0010 (concat msix.table-size.entries #x0)))
(assert (bvule (concat msix.table-size.entries #x0) #x8000))
(assert (let ((a!1 (concat #b000
                   ((_ extract 63 6)
                     (bvadd #x000000000000003f
                            (concat #x0000000000000 msix.table-size.entries)))
                   #b000)))
  (= msix.pba-size a!1)))
(assert (not platform.allow-unsafe-interrupts))
(assert (not platform.backend-spapr))
(assert (not platform.backend-noiommu))
(assert (not platform.unaligned-fixed))
(assert msix.present)
(assert (= bar.index.low msix.table-bir.low))
(assert (not (and (= ((_ extract 63 32) bar.size) #x00000000)
          (bvule ((_ extract 31 0) bar.size)
                 (concat msix.table-offset.qwords #b000)))))
(assert (let ((a!1 (bvule (concat #x000000000000 msix.table-size.entries #x0)
                  (bvadd bar.size
                         (bvmul #xffffffffffffffff
                                (concat #x00000000
                                        msix.table-offset.qwords
                                        #b000)))))
      (a!3 (= (concat #x000000000000 msix.table-size.entries #x0)
              (bvadd (bvmul #xffffffffffffffff
                            (concat #x000000000000 bar.start.in-page))
                     (bvmul #xffffffffffffffff
                            (concat #x00000000 msix.table-offset.qwords #b000)))))
      (a!4 (= ((_ extract 63 40)
                (bvadd (concat #x000000000000 msix.table-size.entries #x0)
                       (concat #x000000000000 bar.start.in-page)
                       (concat #x00000000 msix.table-offset.qwords #b000)))
              #x000000))
      (a!6 (= ((_ extract 63 40)
                (bvadd bar.size (concat #x000000000000 bar.start.in-page)))
              #x000000)))
(let ((a!2 (ite (= (= msix.table-size.entries #x000)
                   (= bar.size
                      (concat #x00000000 msix.table-offset.qwords #b000)))
                a!1
                (not (= msix.table-size.entries #x000))))
      (a!5 (and a!4
                (bvule (bvadd (concat #x000000 msix.table-size.entries #x0)
                              (concat #x00 msix.table-offset.qwords #b000)
                              (concat #x000000 bar.start.in-page))
                       (concat mmap.offset.pages #x0000))))
      (a!7 (and a!6
                (bvule (bvadd ((_ extract 39 0) bar.size)
                              (concat #x000000 bar.start.in-page))
                       (concat mmap.offset.pages #x0000)))))
(let ((a!8 (or (not a!7)
               (= bar.size
                  (bvmul #xffffffffffffffff
                         (concat #x000000000000 bar.start.in-page))))))
  (ite a!2 (or a!3 (not a!5)) a!8)))))
(assert (let ((a!1 (not (bvule (bvadd (concat #b000000 mmap.length.pages #x0000)
                              (concat #x000000 mmap.offset.pages #x0000))
                       (bvadd (concat #x000000000000 bar.start.in-page)
                              (concat #x00000000 msix.table-offset.qwords #b000))))))
  (or (= (concat #b000000 mmap.length.pages #x0000)
         (bvmul #xffffffffffffffff (concat #x000000 mmap.offset.pages #x0000)))
      a!1)))
(assert (not platform.msi-isolated))
(assert (bvule #x0000000000010000 bar.size))
(assert bar.claimed)
(assert (or other0.claimed (not other0.same-device)))
(assert (not (bvule #b110 bar.index.low)))
(assert bar.memory)
(assert (not (= bar.size #x0000000000000000)))
(assert (not platform.s390))
(assert (or (bvule #x0000000000010000 bar.size) (= bar.start.in-page #x0000)))
(assert (let ((a!1 (bvule (bvadd bar.size (concat #x000000000000 bar.start.in-page))
                  (concat (bvnot bar.start.page) #xffff)))
      (a!3 (not (bvule parent.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!5 (bvule (bvadd #x000000000000ffff
                         (concat #x000000000000 bar.start.in-page))
                  (concat (bvnot bar.start.page) #xffff)))
      (a!6 (not (bvule (bvadd parent.start-from-bar-page parent.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!9 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!11 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                        (bvadd bar.size
                               (concat #x000000000000 bar.start.in-page)))))
      (a!14 (not (bvule other0.start-from-bar-page
                        (concat (bvnot bar.start.page) #xffff)))))
(let ((a!2 (= (bvule parent.start-from-bar-page
                     (concat (bvnot bar.start.page) #xffff))
              a!1))
      (a!7 (and (not (= bar.start.page #x000000000000))
                (or a!6
                    (= parent.start-from-bar-page
                       (bvmul #xffffffffffffffff parent.size)))))
      (a!10 (and (not (= bar.start.page #x000000000000))
                 (or (= other0.start-from-bar-page
                        (bvmul #xffffffffffffffff other0.size))
                     a!9)))
      (a!13 (= (bvule other0.start-from-bar-page
                      (concat (bvnot bar.start.page) #xffff))
               a!5)))
(let ((a!4 (ite a!2
                (bvule parent.start-from-bar-page
                       (bvadd bar.size
                              (concat #x000000000000 bar.start.in-page)))
                a!3))
      (a!8 (ite (= (not a!5) a!7)
                (bvule (bvadd #x000000000000ffff
                              (concat #x000000000000 bar.start.in-page))
                       (bvadd #xffffffffffffffff
                              parent.start-from-bar-page
                              parent.size))
                (not a!5)))
      (a!12 (ite (= (not a!1) a!10)
                 (or a!11
                     (= other0.start-from-bar-page
                        (bvmul #xffffffffffffffff other0.size)))
                 (not a!1)))
      (a!15 (ite a!13
                 (bvule other0.start-from-bar-page
                        (bvadd #x000000000000ffff
                               (concat #x000000000000 bar.start.in-page)))
                 a!14)))
(let ((a!16 (and a!4
                 a!8
                 (or (not (and other0.in-parent other0.claimed))
                     (not (and a!12 a!15))))))
  (or (bvule #x0000000000010000 bar.size) a!16))))))
(assert (bvule (bvadd (concat #b000000 mmap.length.pages #x0000)
              (concat #x000000 mmap.offset.pages #x0000))
       (concat ((_ extract 63 16) (bvadd #x000000000000ffff bar.size)) #x0000)))
(assert (or platform.msi-isolated
    platform.allow-unsafe-interrupts
    (not platform.backend-type1)))
(assert (or platform.msi-isolated
    platform.allow-unsafe-interrupts
    (not platform.backend-iommufd)))
(assert (let ((a!1 (bvor (bvnot ((_ extract 63 1) (bvadd #xffffffffffffffff bar.size)))
                 (bvadd #b111111111111111111111111111111111111111111111111111111111111111
                        ((_ extract 62 0) bar.size))))
      (a!2 (bvor (bvnot bar.start.in-page)
                 (bvnot (bvadd #xffff ((_ extract 15 0) bar.size)))))
      (a!3 (bvor (bvnot bar.start.page)
                 (bvnot ((_ extract 63 16) (bvadd #xffffffffffffffff bar.size))))))
  (or (and bar.fixed platform.unaligned-fixed)
      (and (not (= bar.size #x0000000000000000))
           (= (bvnot a!1)
              #b000000000000000000000000000000000000000000000000000000000000000)
           (= (bvnot a!2) #x0000)
           (= (bvnot a!3) #x000000000000)))))
(assert (let ((a!1 (bvor (bvnot ((_ extract 63 1)
                          (bvadd #xffffffffffffffff other0.size)))
                 (bvadd #b111111111111111111111111111111111111111111111111111111111111111
                        ((_ extract 62 0) other0.size))))
      (a!2 (bvor (bvnot (bvadd #xffffffffffffffff other0.size))
                 (bvnot (bvadd (concat bar.start.page #x0000)
                               other0.start-from-bar-page)))))
  (or (and other0.fixed platform.unaligned-fixed)
      (and (not (= other0.size #x0000000000000000))
           (= (bvnot a!1)
              #b000000000000000000000000000000000000000000000000000000000000000)
           (= (bvnot a!2) #x0000000000000000)))))
(assert (let ((a!1 (= (bvule parent.start-from-bar-page
                     (concat (bvnot bar.start.page) #xffff))
              (bvule (concat #x000000000000 bar.start.in-page)
                     (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule parent.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!4 (not (bvule (bvadd bar.size
                              (concat #x000000000000 bar.start.in-page))
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!6 (not (bvule (bvadd parent.start-from-bar-page parent.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!9 (= (= bar.size
                 (bvmul #xffffffffffffffff
                        (concat #x000000000000 bar.start.in-page)))
              (= parent.start-from-bar-page
                 (bvmul #xffffffffffffffff parent.size))))
      (a!10 (not (= bar.size
                    (bvmul #xffffffffffffffff
                           (concat #x000000000000 bar.start.in-page))))))
(let ((a!3 (ite a!1
                (and (= ((_ extract 63 16) parent.start-from-bar-page)
                        #x000000000000)
                     (bvule ((_ extract 15 0) parent.start-from-bar-page)
                            bar.start.in-page))
                a!2))
      (a!5 (or a!4
               (= bar.size
                  (bvmul #xffffffffffffffff
                         (concat #x000000000000 bar.start.in-page)))))
      (a!7 (and (not (= bar.start.page #x000000000000))
                (or a!6
                    (= parent.start-from-bar-page
                       (bvmul #xffffffffffffffff parent.size)))))
      (a!11 (ite a!9
                 (bvule (bvadd bar.size
                               (concat #x000000000000 bar.start.in-page))
                        (bvadd parent.start-from-bar-page parent.size))
                 a!10)))
(let ((a!8 (= (and (not (= bar.start.page #x000000000000)) a!5) a!7)))
(let ((a!12 (ite a!8 a!11 (and (not (= bar.start.page #x000000000000)) a!5))))
  (or (not bar.claimed) (and a!3 a!12)))))))
(assert (let ((a!1 (= (bvule parent.start-from-bar-page
                     (concat (bvnot bar.start.page) #xffff))
              (bvule other0.start-from-bar-page
                     (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule parent.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!3 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!5 (not (bvule (bvadd parent.start-from-bar-page parent.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!7 (ite (= (= other0.start-from-bar-page
                      (bvmul #xffffffffffffffff other0.size))
                   (= parent.start-from-bar-page
                      (bvmul #xffffffffffffffff parent.size)))
                (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvadd parent.start-from-bar-page parent.size))
                (not (= other0.start-from-bar-page
                        (bvmul #xffffffffffffffff other0.size))))))
(let ((a!4 (and (not (= bar.start.page #x000000000000))
                (or (= other0.start-from-bar-page
                       (bvmul #xffffffffffffffff other0.size))
                    a!3)))
      (a!6 (and (not (= bar.start.page #x000000000000))
                (or a!5
                    (= parent.start-from-bar-page
                       (bvmul #xffffffffffffffff parent.size))))))
  (or (not (and other0.claimed other0.in-parent))
      (and (ite a!1
                (bvule parent.start-from-bar-page other0.start-from-bar-page)
                a!2)
           (ite (= a!4 a!6) a!7 a!4))))))
(assert (let ((a!1 (not (bvule other0.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule (bvadd bar.size
                              (concat #x000000000000 bar.start.in-page))
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!5 (not (bvule (bvadd bar.size
                              (concat #x000000000000 bar.start.in-page))
                       other0.start-from-bar-page)))
      (a!7 (not (bvule (concat #x000000000000 bar.start.in-page)
                       (concat (bvnot bar.start.page) #xffff))))
      (a!8 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!10 (and (= ((_ extract 63 16)
                      (bvadd other0.start-from-bar-page other0.size))
                    #x000000000000)
                 (bvule (bvadd ((_ extract 15 0) other0.start-from-bar-page)
                               ((_ extract 15 0) other0.size))
                        bar.start.in-page))))
(let ((a!3 (or a!2
               (= bar.size
                  (bvmul #xffffffffffffffff
                         (concat #x000000000000 bar.start.in-page)))))
      (a!6 (or a!5
               (= bar.size
                  (bvmul #xffffffffffffffff
                         (concat #x000000000000 bar.start.in-page)))))
      (a!9 (and (not (= bar.start.page #x000000000000))
                (or (= other0.start-from-bar-page
                       (bvmul #xffffffffffffffff other0.size))
                    a!8))))
(let ((a!4 (= a!1 (and (not (= bar.start.page #x000000000000)) a!3)))
      (a!11 (ite (= a!7 a!9)
                 (or (not a!10)
                     (= other0.start-from-bar-page
                        (bvmul #xffffffffffffffff other0.size)))
                 a!7)))
  (or (not (and other0.claimed other0.in-parent bar.claimed))
      (not (and (ite a!4 a!6 a!1) a!11)))))))
(assert (let ((a!1 (not (bvule other0.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!2 (not (bvule (bvadd parent.start-from-bar-page parent.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!4 (or (= parent.start-from-bar-page
                  (bvmul #xffffffffffffffff parent.size))
               (not (bvule (bvadd parent.start-from-bar-page parent.size)
                           other0.start-from-bar-page))))
      (a!5 (not (bvule parent.start-from-bar-page
                       (concat (bvnot bar.start.page) #xffff))))
      (a!6 (not (bvule (bvadd other0.start-from-bar-page other0.size)
                       (bvmul #xffffffffffffffff (concat bar.start.page #x0000)))))
      (a!8 (or (not (bvule (bvadd other0.start-from-bar-page other0.size)
                           parent.start-from-bar-page))
               (= other0.start-from-bar-page
                  (bvmul #xffffffffffffffff other0.size)))))
(let ((a!3 (and (not (= bar.start.page #x000000000000))
                (or a!2
                    (= parent.start-from-bar-page
                       (bvmul #xffffffffffffffff parent.size)))))
      (a!7 (and (not (= bar.start.page #x000000000000))
                (or (= other0.start-from-bar-page
                       (bvmul #xffffffffffffffff other0.size))
                    a!6))))
(let ((a!9 (not (and (ite (= a!1 a!3) a!4 a!1) (ite (= a!5 a!7) a!8 a!5)))))
  (or (not (and other0.claimed (not other0.in-parent))) a!9)))))
(assert (or other0.claimed other0.same-device))
(assert (or (not bar.memory) (bvule #x0000000000000010 bar.size)))
(assert (or bar.memory (bvule #x0000000000000004 bar.size)))
(assert (let ((a!1 (and bar.memory
                (bvule (bvadd (concat #x000000000000
                                      msix.table-size.entries
                                      #x0)
                              (concat #x00000000 msix.table-offset.qwords #b000))
                       bar.size))))
  (or (not (and msix.present (= bar.index.low msix.table-bir.low))) a!1)))
(assert (let ((a!1 (and bar.memory
                (bvule (bvadd msix.pba-size
                              (concat #x00000000 msix.pba-offset.qwords #b000))
                       bar.size))))
  (or (not (and msix.present (= bar.index.low msix.pba-bir.low))) a!1)))
(assert (or (not other0.memory) (bvule #x0000000000000010 other0.size)))
(assert (or other0.memory (bvule #x0000000000000004 other0.size)))
(assert (let ((a!1 (and other0.memory
                (bvule (bvadd (concat #x000000000000
                                      msix.table-size.entries
                                      #x0)
                              (concat #x00000000 msix.table-offset.qwords #b000))
                       other0.size))))
  (or (not (and msix.present
                other0.same-device
                (= other0.index.low msix.table-bir.low)))
      a!1)))
(assert (let ((a!1 (and other0.memory
                (bvule (bvadd msix.pba-size
                              (concat #x00000000 msix.pba-offset.qwords #b000))
                       other0.size))))
  (or (not (and msix.present
                other0.same-device
                (= other0.index.low msix.pba-bir.low)))
      a!1)))
(assert (or (not msix.present)
    (and (bvule msix.table-bir.low #b101) (bvule msix.pba-bir.low #b101))))
(assert (let ((a!1 (= ((_ extract 63 32)
                (bvadd msix.pba-size
                       (concat #x00000000 msix.pba-offset.qwords #b000)))
              #x00000000))
      (a!3 (= ((_ extract 63 32)
                (bvadd (concat #x000000000000 msix.table-size.entries #x0)
                       (concat #x00000000 msix.table-offset.qwords #b000)))
              #x00000000)))
(let ((a!2 (and a!1
                (bvule (bvadd (concat msix.pba-offset.qwords #b000)
                              ((_ extract 31 0) msix.pba-size))
                       (concat msix.table-offset.qwords #b000))))
      (a!4 (and a!3
                (bvule (bvadd (concat msix.table-offset.qwords #b000)
                              (concat #x0000 msix.table-size.entries #x0))
                       (concat msix.pba-offset.qwords #b000)))))
  (or a!2 (not (and msix.present (= msix.table-bir.low msix.pba-bir.low))) a!4))))
(check-sat)
